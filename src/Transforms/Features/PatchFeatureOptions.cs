namespace Amil.MLNet.Transforms.Features;

/// <summary>How bags of patches become bags of features (see <see cref="PatchFeatureExtractor"/>).</summary>
public sealed class PatchFeatureOptions
{
    /// <summary>Bag column from BagPatches (its <c>{name}Layout</c> companion is read too). Default "Bag".</summary>
    public string InputColumnName { get; set; } = "Bag";

    /// <summary>Output: N × D features per image (D = the encoder's feature size), with a <c>{name}Layout</c>
    /// companion (the bag's grid). Default "Features".</summary>
    public string OutputColumnName { get; set; } = "Features";

    /// <summary>The frozen patch encoder: "resnet18" (built in, the default), an encoder manifest's path, an ONNX
    /// file's path with its manifest beside it, or a name registered in <c>$AMIL_ENCODERS</c> (see
    /// <see cref="Encoders.PatchEncoders"/>).</summary>
    public string Extractor { get; set; } = PatchFeatureExtractor.ResNet18;

    /// <summary>Patches per ONNX Runtime call; 1 runs patch by patch. Default 16 (measured faster on 2 cores; see
    /// docs/speed-and-platforms.md).</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Multiplies bag values back to 0…255: 255 when the bag used the default PixelScale 1/255. Default
    /// 255.</summary>
    public float ToByteScale { get; set; } = 255f;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(InputColumnName) || string.IsNullOrWhiteSpace(OutputColumnName))
            throw new ArgumentException("Input and output column names must be set.");
        if (string.IsNullOrWhiteSpace(Extractor))
            throw new ArgumentException(
                $"The encoder must be set: \"{PatchFeatureExtractor.ResNet18}\" or an encoder manifest."
            );
        if (BatchSize < 1)
            throw new ArgumentException($"BatchSize must be at least 1 (got {BatchSize}).");
        if (!(ToByteScale > 0))
            throw new ArgumentException($"ToByteScale must be positive (got {ToByteScale}).");
    }
}
