namespace Amil.MLNet.Transforms.Encoders;

/// <summary>A saved model names the encoder it was trained on, with the file's hash: features from any other file are
/// refused, even under the same name or path.</summary>
/// <remarks>Infrastructure shared by the Amil.MLNet packages, public so that none needs another's internals; not
/// meant to be called from your code, and it may change in any version.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class EncoderProvenance
{
    /// <summary>The encoder as a saved state keeps it: its reference (paths made absolute) and, for a manifest, its
    /// file's SHA-256 (empty for the built-in ResNet18), as two <see cref="Persistence.StateText"/> texts.</summary>
    public static float[] Encode(string encoder)
    {
        encoder = PatchEncoders.Canonical(encoder);
        string sha256 = PatchEncoders.IsBuiltIn(encoder) ? "" : PatchEncoders.Manifest(encoder).Sha256;
        return [.. Persistence.StateText.Encode(encoder), .. Persistence.StateText.Encode(sha256)];
    }

    /// <summary>What <see cref="Encode"/> wrote, read from <paramref name="at"/> on.</summary>
    public static (string Encoder, string Sha256) Decode(ReadOnlySpan<float> payload, ref int at)
    {
        string encoder = Persistence.StateText.Decode(payload, ref at);
        return (encoder, Persistence.StateText.Decode(payload, ref at));
    }

    /// <summary>Throws unless <paramref name="encoder"/> still describes the file of hash
    /// <paramref name="savedSha256"/> (empty: the built-in ResNet18, nothing to check).</summary>
    public static void Check(string encoder, string savedSha256)
    {
        if (savedSha256.Length == 0)
            return;
        var manifest = PatchEncoders.Manifest(encoder);
        if (manifest.Sha256.Equals(savedSha256, StringComparison.OrdinalIgnoreCase))
            return;
        throw new InvalidDataException(
            $"The model was trained on encoder '{manifest.Name}' with SHA-256 {savedSha256}, but '{encoder}' now "
                + $"describes SHA-256 {manifest.Sha256.ToLowerInvariant()}: another encoder's features would score "
                + "meaninglessly. Give the model the file it was trained with (the same manifest and ONNX file), or "
                + "train a model on this encoder."
        );
    }
}
