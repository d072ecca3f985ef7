using System.Text.Json;
using System.Text.Json.Serialization;

namespace Amil.MLNet.Transforms.Encoders;

/// <summary>
/// What an ONNX patch encoder needs besides its weights: the input it takes, how pixels are prepared, which output is
/// the feature vector, and the file's SHA-256. A JSON file (snake_case keys) beside the ONNX file; see
/// docs/encoders.md. Plain data: <see cref="Load"/> reads and checks one, <see cref="Validate"/> checks one built in
/// code.
/// </summary>
public sealed class EncoderManifest
{
    /// <summary>The encoder's name in logs, settings and saved models (e.g. "uni", "virchow2").</summary>
    public string Name { get; set; } = "";

    /// <summary>The ONNX file: a path relative to the manifest's folder, or absolute (as <see cref="Load"/> leaves
    /// it).</summary>
    public string File { get; set; } = "";

    /// <summary>SHA-256 of the ONNX file, lower-case hex: an encoder is used only when its file matches.</summary>
    public string Sha256 { get; set; } = "";

    /// <summary>The square patch side the network takes, in pixels (224 for most).</summary>
    public int InputSize { get; set; } = 224;

    /// <summary>A patch is first resized to this side, then centre-cropped to <see cref="InputSize"/> (torchvision's
    /// Resize + CenterCrop); null or equal to the input size resizes straight to it.</summary>
    public int? ResizeTo { get; set; }

    /// <summary>µm per pixel the encoder was trained at; slides are tiled at this scale unless told
    /// otherwise.</summary>
    public double? MicronsPerPixel { get; set; }

    /// <summary>Per-channel mean (R, G, B) of pixels scaled to 0…1, subtracted before dividing by <see cref="Std"/>.
    /// Default ImageNet's.</summary>
    public double[] Mean { get; set; } = [0.485, 0.456, 0.406];

    /// <summary>Per-channel standard deviation (R, G, B) of pixels scaled to 0…1. Default ImageNet's.</summary>
    public double[] Std { get; set; } = [0.229, 0.224, 0.225];

    /// <summary>"nchw" (PyTorch's, the default) or "nhwc".</summary>
    public string Layout { get; set; } = "nchw";

    /// <summary>The graph input to feed; null takes the only one.</summary>
    public string? Input { get; set; }

    /// <summary>The graph output to read; null takes the first.</summary>
    public string? Output { get; set; }

    /// <summary>How the output becomes one vector per patch: "none" (already N × D, or N × D × 1 × 1), "cls" (token 0
    /// of N × T × D), "mean" (mean of the tokens after <see cref="PrefixTokens"/>), or "cls_mean" (token 0 and that
    /// mean, concatenated: 2·D, as Virchow2 does).</summary>
    public string Pooling { get; set; } = "none";

    /// <summary>Tokens before the patch tokens (class token and register tokens) that "mean" leaves out. Default
    /// 1.</summary>
    public int PrefixTokens { get; set; } = 1;

    /// <summary>Features per patch after pooling.</summary>
    public int FeatureSize { get; set; }

    /// <summary>The most patches per ONNX Runtime call; null: any. 1 for an encoder whose features of a patch would
    /// otherwise depend on the patches beside it in the call (an int8 copy quantizes its inputs with one scale per
    /// call: <c>amil encoders quantize</c> writes 1).</summary>
    public int? MaxBatchSize { get; set; }

    /// <summary>The weights' licence, as the user should know it (shown by <c>amil encoders check</c>).</summary>
    public string? Licence { get; set; }

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Reads a manifest, makes <see cref="File"/> absolute (relative paths are from the manifest's folder)
    /// and checks it.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid manifest; the message names what is
    /// wrong.</exception>
    public static EncoderManifest Load(string path)
    {
        var full = Path.GetFullPath(path);
        if (!System.IO.File.Exists(full))
            throw new FileNotFoundException($"{full}: no encoder manifest there.", full);
        EncoderManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<EncoderManifest>(System.IO.File.ReadAllText(full), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{full}: not a valid encoder manifest ({e.Message}).", e);
        }
        if (manifest is null)
            throw new InvalidDataException($"{full}: the encoder manifest is empty.");
        if (!string.IsNullOrWhiteSpace(manifest.File))
            manifest.File = Path.GetFullPath(manifest.File, Path.GetDirectoryName(full)!);
        try
        {
            manifest.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{full}: {e.Message}", e);
        }
        return manifest;
    }

    /// <summary>The manifest as JSON (what <see cref="Load"/> reads).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field that is missing or out of
    /// range.</summary>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(Name), "\"name\" is missing.");
        Require(!string.IsNullOrWhiteSpace(File), "\"file\" (the ONNX file) is missing.");
        Require(
            Sha256.Length == 64 && Sha256.All(Uri.IsHexDigit),
            "\"sha256\" must be the ONNX file's SHA-256 in 64 hex digits (`sha256sum FILE` or `amil encoders check "
                + "FILE` prints it)."
        );
        Require(InputSize is >= 16 and <= 4096, $"\"input_size\" must be 16 to 4096 pixels (got {InputSize}).");
        Require(
            ResizeTo is null || ResizeTo >= InputSize && ResizeTo <= 8192,
            $"\"resize_to\" must be at least the input size {InputSize} (got {ResizeTo})."
        );
        Require(
            MicronsPerPixel is null || MicronsPerPixel > 0 && double.IsFinite(MicronsPerPixel.Value),
            $"\"microns_per_pixel\" must be positive (got {MicronsPerPixel})."
        );
        Require(Mean is { Length: 3 } && Mean.All(double.IsFinite), "\"mean\" must be three finite numbers (R, G, B).");
        Require(
            Std is { Length: 3 } && Std.All(s => s > 0 && double.IsFinite(s)),
            "\"std\" must be three positive " + "numbers (R, G, B)."
        );
        Require(Layout is "nchw" or "nhwc", $"\"layout\" must be \"nchw\" or \"nhwc\" (got \"{Layout}\").");
        Require(
            Pooling is "none" or "cls" or "mean" or "cls_mean",
            $"\"pooling\" must be \"none\", \"cls\", \"mean\" or \"cls_mean\" (got \"{Pooling}\")."
        );
        Require(PrefixTokens is >= 0 and <= 64, $"\"prefix_tokens\" must be 0 to 64 (got {PrefixTokens}).");
        Require(FeatureSize is >= 1 and <= 65536, $"\"feature_size\" must be 1 to 65536 (got {FeatureSize}).");
        Require(MaxBatchSize is null or >= 1, $"\"max_batch_size\" must be at least 1 (got {MaxBatchSize}).");
        Require(
            Pooling != "cls_mean" || FeatureSize % 2 == 0,
            $"\"cls_mean\" concatenates two vectors, so \"feature_size\" must be even (got {FeatureSize})."
        );
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
            throw new ArgumentException(message);
    }
}
