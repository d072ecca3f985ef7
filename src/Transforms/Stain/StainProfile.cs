using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Transforms.Stain;

/// <summary>
/// A source's stain as one method measures it, from its tissue pixels: for Reinhard the lαβ mean and standard
/// deviation of each channel (6 values), for Macenko the haematoxylin and eosin optical-density vectors and each
/// stain's 99th-percentile concentration (8 values). A reference is the profile tiles are normalised to; a slide's
/// own profile is measured on its tissue map.
/// </summary>
public sealed class StainProfile
{
    /// <summary>A profile of <paramref name="method"/> from its values (as <see cref="Values"/> lists them).</summary>
    /// <exception cref="ArgumentException">Method None, the wrong number of values, or a value not finite.</exception>
    public StainProfile(StainMethod method, IReadOnlyList<float> values)
    {
        int expected = method switch
        {
            StainMethod.Reinhard => 6,
            StainMethod.Macenko => 8,
            _ => throw new ArgumentException("A stain profile needs the method Reinhard or Macenko."),
        };
        if (values.Count != expected)
            throw new ArgumentException($"A {method} stain profile has {expected} values (got {values.Count}).");
        if (values.Any(v => !float.IsFinite(v)))
            throw new ArgumentException($"A {method} stain profile's values must be finite.");
        // The spreads (Reinhard) and the concentrations (Macenko) divide: they must be positive.
        if (values.Skip(method == StainMethod.Reinhard ? 3 : 6).Any(v => v <= 0))
            throw new ArgumentException(
                $"A {method} stain profile's {(method == StainMethod.Reinhard ? "spreads" : "concentrations")} must "
                    + "be positive."
            );
        Method = method;
        Values = [.. values];
    }

    /// <summary>The method that measured it.</summary>
    public StainMethod Method { get; }

    /// <summary>Reinhard: mean l, α, β, then their standard deviations. Macenko: the haematoxylin vector (R, G, B
    /// optical density, unit length), the eosin vector, then the two stains' 99th-percentile
    /// concentrations.</summary>
    public IReadOnlyList<float> Values { get; }

    /// <summary>The profile of an image's tissue: the pixels where <paramref name="tissue"/> is true (every pixel
    /// when null; near-white background is left out either way).</summary>
    /// <exception cref="InvalidDataException">Too little stained tissue to measure (under 100 pixels).</exception>
    public static StainProfile Measure(StainMethod method, RgbImage image, IReadOnlyList<bool>? tissue = null)
    {
        if (tissue is not null && tissue.Count != image.Width * image.Height)
            throw new ArgumentException("The tissue mask must have one value per pixel.", nameof(tissue));
        return method switch
        {
            StainMethod.Reinhard => new(method, ReinhardColour.Measure(image, tissue)),
            StainMethod.Macenko => new(method, MacenkoStains.Measure(image, tissue)),
            _ => throw new ArgumentException("Measure a stain profile with the method Reinhard or Macenko."),
        };
    }

    /// <summary>The profile, of all <paramref name="profiles"/>, closest to the others (the smallest sum of
    /// distances): a reference chosen from a training set, typical of it and real.</summary>
    public static StainProfile Medoid(IReadOnlyList<StainProfile> profiles)
    {
        if (profiles.Count == 0 || profiles.Any(p => p.Method != profiles[0].Method))
            throw new ArgumentException("Choose a reference among one or more profiles of one method.");
        return profiles.MinBy(p => profiles.Sum(q => Distance(p, q)))!;
    }

    private static double Distance(StainProfile a, StainProfile b) =>
        Math.Sqrt(a.Values.Zip(b.Values).Sum(v => (double)(v.First - v.Second) * (v.First - v.Second)));

    /// <summary>The profile as text for cache keys and config files: the method and its values, round-trip
    /// exact.</summary>
    public override string ToString() =>
        $"{Method} "
        + string.Join(' ', Values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
}
