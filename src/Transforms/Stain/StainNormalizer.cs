using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Transforms.Stain;

/// <summary>Brings a source's colours to a reference stain: made once per source (a slide, an image) from its
/// measured profile, then applied to each of its tiles. Thread-safe.</summary>
public sealed class StainNormalizer
{
    private readonly Action<byte[]> _apply;

    private StainNormalizer(StainProfile source, StainProfile reference, Action<byte[]> apply)
    {
        Source = source;
        Reference = reference;
        _apply = apply;
    }

    /// <summary>The source's own profile.</summary>
    public StainProfile Source { get; }

    /// <summary>The profile it normalises to.</summary>
    public StainProfile Reference { get; }

    /// <summary>A normaliser from <paramref name="source"/> to <paramref name="reference"/> (one method).</summary>
    public static StainNormalizer Create(StainProfile source, StainProfile reference)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(reference);
        if (source.Method != reference.Method)
            throw new ArgumentException(
                $"A {source.Method} profile cannot be normalised to a {reference.Method} reference."
            );
        Action<byte[]> apply =
            source.Method == StainMethod.Reinhard
                ? ReinhardColour.Mapping(source.Values, reference.Values)
                : MacenkoStains.Mapping(source.Values, reference.Values);
        return new StainNormalizer(source, reference, apply);
    }

    /// <summary>The image with its colours normalised (a new image; the input is unchanged).</summary>
    public RgbImage Apply(RgbImage image)
    {
        var pixels = (byte[])image.Pixels.Clone();
        _apply(pixels);
        return new RgbImage(image.Width, image.Height, pixels);
    }
}
