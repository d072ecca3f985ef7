using Amil.MLNet.Transforms.Encoders;

namespace Amil.MLNet.Application;

/// <summary>config.json's "encoder": which frozen encoder made a run's features, so a result can be traced to the
/// exact weights file.</summary>
public static class EncoderRecord
{
    /// <summary>The encoder's name, SHA-256, file and µm per pixel (for ResNet18, its name alone: it ships with the
    /// package).</summary>
    public static object Of(string encoder)
    {
        if (PatchEncoders.IsBuiltIn(encoder))
            return new { name = encoder };
        var m = PatchEncoders.Manifest(encoder);
        return new
        {
            name = m.Name,
            sha256 = m.Sha256.ToLowerInvariant(),
            manifest = PatchEncoders.Canonical(encoder),
            file = m.File,
            input_size = m.InputSize,
            microns_per_pixel = m.MicronsPerPixel,
            feature_size = m.FeatureSize,
        };
    }

    /// <summary>The encoder's name for logs: "resnet18" or the manifest's name.</summary>
    public static string Name(string encoder) =>
        PatchEncoders.IsBuiltIn(encoder) ? "ResNet18" : PatchEncoders.Manifest(encoder).Name;
}
