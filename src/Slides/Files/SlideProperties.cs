using System.Globalization;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Persistence;

namespace Amil.MLNet.Slides;

/// <summary>Scale of a slide as the scanner wrote it: microns per pixel and objective power at level 0.</summary>
public sealed record SlideProperties(string Vendor, double? MicronsPerPixel, double? ObjectivePower)
{
    /// <summary>The <see cref="SlideScaleTable"/> file the scale came from instead of the slide file; null when the
    /// scale is the file's own.</summary>
    public string? ScaleTable { get; init; }

    /// <summary>Aperio SVS: the first ImageDescription starts with "Aperio" and holds "|key = value" fields, among
    /// them MPP (µm per level-0 pixel) and AppMag (objective power).</summary>
    public static SlideProperties? FromAperio(string? description)
    {
        if (description is null || !description.StartsWith("Aperio", StringComparison.Ordinal))
            return null;
        var fields = description
            .Split('|')
            .Skip(1)
            .Select(f => f.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .GroupBy(kv => kv[0].Trim(), StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First()[1].Trim(), StringComparer.OrdinalIgnoreCase);
        return new SlideProperties(
            "aperio",
            Positive(fields.GetValueOrDefault("MPP")),
            Positive(fields.GetValueOrDefault("AppMag"))
        );
    }

    /// <summary>A generic TIFF's resolution tags: pixels per centimetre or per inch → µm per pixel; no unit, no
    /// scale.</summary>
    public static double? MicronsFromResolution(double? pixelsPerUnit, int? unit)
    {
        if (pixelsPerUnit is not { } perUnit || !(perUnit > 0) || !double.IsFinite(perUnit))
            return null;
        return unit switch
        {
            3 => 10_000 / perUnit,
            2 => 25_400 / perUnit,
            _ => null,
        };
    }

    private static double? Positive(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
        && value > 0
        && double.IsFinite(value)
            ? value
            : null;
}
