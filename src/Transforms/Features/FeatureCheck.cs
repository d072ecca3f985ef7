namespace Amil.MLNet.Transforms.Features;

/// <summary>Features leave the extractor only when every value is finite: a NaN feature would become a NaN score
/// later, far from its cause.</summary>
/// <remarks>Infrastructure shared by the Amil.MLNet packages, public so that none needs another's internals; not
/// meant to be called from your code, and it may change in any version.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class FeatureCheck
{
    /// <exception cref="InvalidDataException">A value is NaN or infinite.</exception>
    public static void ThrowUnlessFinite(string item, string what, ReadOnlySpan<float> values)
    {
        foreach (var v in values)
            if (!float.IsFinite(v))
                throw new InvalidDataException(
                    $"{item}: {what} are not all finite (NaN or infinity), so nothing is cached or scored for it; "
                        + "check that the file reads as an image, and that the encoder's model files are intact."
                );
    }
}
