namespace Amil.MLNet.Transforms.Encoders;

/// <summary>
/// Where an encoder named in settings comes from. "resnet18" is built in (the ImageNet ResNet18 of
/// Microsoft.ML.DnnImageFeaturizer.ResNet18); any other encoder is an ONNX file with its manifest
/// (<see cref="EncoderManifest"/>), named by the manifest's path, by the ONNX file's path (the manifest beside it,
/// same name, ".json"), or by a name: the manifest NAME.json in the folder <c>$AMIL_ENCODERS</c>.
/// </summary>
public static class PatchEncoders
{
    /// <summary>The built-in encoder: ImageNet ResNet18, 512 features per 224 px patch.</summary>
    public const string ResNet18 = "resnet18";

    /// <summary>The environment variable naming the folder of registered manifests.</summary>
    public const string FolderVariable = "AMIL_ENCODERS";

    /// <summary>Whether <paramref name="encoder"/> names the built-in ResNet18.</summary>
    public static bool IsBuiltIn(string encoder) => encoder == ResNet18;

    /// <summary>The patch side an encoder takes (224 for ResNet18): the default patch and tile size for it.</summary>
    public static int InputSize(string encoder) => IsBuiltIn(encoder) ? 224 : Manifest(encoder).InputSize;

    /// <summary>The µm per pixel an encoder was trained at, when its manifest says (slides are tiled at it by
    /// default); null for ResNet18 (ImageNet has no scale).</summary>
    public static double? MicronsPerPixel(string encoder) =>
        IsBuiltIn(encoder) ? null : Manifest(encoder).MicronsPerPixel;

    /// <summary>The manifest an encoder reference names, read and checked (the file's hash is checked when the
    /// encoder is opened). Not for the built-in ResNet18, which has none.</summary>
    /// <exception cref="ArgumentException">The reference names nothing that exists; the message says where it
    /// looked.</exception>
    /// <exception cref="InvalidDataException">The manifest is not valid.</exception>
    public static EncoderManifest Manifest(string encoder)
    {
        if (string.IsNullOrWhiteSpace(encoder) || IsBuiltIn(encoder))
            throw new ArgumentException($"'{encoder}' names no encoder manifest.");
        string path = ManifestPath(encoder);
        if (!File.Exists(path))
            throw new ArgumentException(
                $"Encoder '{encoder}': no manifest at {path}. "
                    + (
                        encoder.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
                            ? "Write the manifest beside the ONNX file with the same name and .json "
                                + "(docs/encoders.md), or export both with build/export_encoder.py."
                            : $"Give the built-in '{ResNet18}', a manifest's path (.json), an ONNX file with its "
                                + $"manifest beside it, or a name registered as NAME.json in ${FolderVariable}."
                    )
            );
        return EncoderManifest.Load(path);
    }

    /// <summary>What identifies the features an encoder makes, for cache keys: "resnet18" for the built-in, else the
    /// manifest's name, hash and preprocessing, once the file is checked against the hash (so a changed file never
    /// reuses the old file's features).</summary>
    public static string Identity(string encoder)
    {
        if (IsBuiltIn(encoder))
            return ResNet18;
        var manifest = Manifest(encoder);
        EncoderSession.CheckFile(manifest);
        return EncoderSession.Identity(manifest);
    }

    /// <summary>The reference as a saved model keeps it: paths made absolute, names as they are.</summary>
    public static string Canonical(string encoder) =>
        IsBuiltIn(encoder) || !LooksLikePath(encoder) ? encoder : Path.GetFullPath(encoder);

    private static bool LooksLikePath(string encoder) =>
        encoder.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
        || encoder.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
        || encoder.IndexOfAny(['/', '\\']) >= 0;

    /// <summary>The manifest path an encoder reference points at (which may not exist).</summary>
    internal static string ManifestPath(string encoder)
    {
        if (encoder.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            return Path.GetFullPath(encoder);
        if (encoder.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            return Path.GetFullPath(Path.ChangeExtension(encoder, ".json"));
        if (LooksLikePath(encoder))
            return Path.GetFullPath(encoder);
        string folder = Environment.GetEnvironmentVariable(FolderVariable) is { Length: > 0 } f
            ? f
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".amil", "encoders");
        return Path.GetFullPath(Path.Combine(folder, encoder + ".json"));
    }
}
