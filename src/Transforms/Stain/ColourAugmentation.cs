using System.Globalization;
using System.Text;
using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Transforms.Stain;

/// <summary>How <see cref="ColourAugmentation"/> changes colours.</summary>
public enum ColourAugmentationMethod
{
    /// <summary>In haematoxylin–eosin–DAB space (Ruifrok and Johnston's stain vectors): each stain's amount scaled by
    /// 1 ± σ and shifted by ± σ, after Tellez et al. (2018); amounts are in natural-log optical density, so σ is not
    /// the paper's.</summary>
    Hed,

    /// <summary>In hue, saturation and value: hue turned by ± σ of the circle, saturation and value scaled by
    /// 1 ± σ.</summary>
    Hsv,
}

/// <summary>
/// One random recolouring of a slide or image, as if it had been stained or scanned elsewhere: drawn once per source
/// and copy (so a slide's tiles all shift alike, as a whole slide's stain does) from a seed made of the source's
/// name and <see cref="Copy"/>, so the same copy of the same source is the same recolouring in every run and the
/// feature cache can keep it.
/// </summary>
/// <param name="Method">HED or HSV.</param>
/// <param name="Strength">σ, in (0, 1]: 0.05 is light, 0.2 strong.</param>
/// <param name="Copy">Which copy (1, 2, …): each is another draw.</param>
public sealed record ColourAugmentation(ColourAugmentationMethod Method, double Strength, int Copy)
{
    // Ruifrok and Johnston's H, E and DAB optical-density vectors (rows), as scikit-image's rgb_from_hed.
    private static readonly double[,] RgbFromHed =
    {
        { 0.65, 0.70, 0.29 },
        { 0.07, 0.99, 0.11 },
        { 0.27, 0.57, 0.78 },
    };

    private static readonly double[,] HedFromRgb = Invert(RgbFromHed);

    /// <summary>"hed 0.05 #1": the text <see cref="Parse"/> reads; part of feature cache keys.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Method.ToString().ToLowerInvariant()} {Strength:R} #{Copy}");

    /// <summary>The augmentation <see cref="ToString"/> wrote; null for "".</summary>
    /// <exception cref="FormatException">Text that is not "hed|hsv σ #copy".</exception>
    /// <exception cref="ArgumentException">σ outside (0, 1], or a copy under 1.</exception>
    public static ColourAugmentation? Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (
            parts.Length == 3
            && Enum.TryParse<ColourAugmentationMethod>(parts[0], ignoreCase: true, out var method)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double strength)
            && parts[2].StartsWith('#')
            && int.TryParse(parts[2][1..], NumberStyles.None, CultureInfo.InvariantCulture, out int copy)
        )
            return new ColourAugmentation(method, strength, copy).Checked();
        throw new FormatException($"'{text}' is not a colour augmentation (\"hed 0.05 #1\": method, σ, copy).");
    }

    /// <summary>Throws <see cref="ArgumentException"/> when σ or the copy is out of range; returns this.</summary>
    public ColourAugmentation Checked()
    {
        if (!(Strength > 0 && Strength <= 1))
            throw new ArgumentException($"The colour augmentation's strength must be in (0, 1] (got {Strength}).");
        if (Copy < 1)
            throw new ArgumentException($"The colour augmentation's copy must be 1 or more (got {Copy}).");
        return this;
    }

    /// <summary>This copy's recolouring of the source named <paramref name="sourceName"/> (a file name: the same
    /// name gives the same draw on every machine).</summary>
    public Func<RgbImage, RgbImage> For(string sourceName)
    {
        Checked();
        var random = new Random(StableSeed.Mix(Copy, (int)Method, Hash(sourceName)));
        double Uniform(double half) => (2 * random.NextDouble() - 1) * half;
        var scale = new[] { 1 + Uniform(Strength), 1 + Uniform(Strength), 1 + Uniform(Strength) };
        var shift = new[] { Uniform(Strength), Uniform(Strength), Uniform(Strength) };
        return Method == ColourAugmentationMethod.Hed ? image => Hed(image, scale, shift) : image => Hsv(image, scale);
    }

    internal static RgbImage Hed(RgbImage image, double[] scale, double[] shift)
    {
        var pixels = new byte[image.Pixels.Length];
        double[] od = new double[3],
            amounts = new double[3];
        for (int o = 0; o < pixels.Length; o += 3)
        {
            for (int c = 0; c < 3; c++)
                od[c] = StainMath.Density[image.Pixels[o + c]];
            for (int s = 0; s < 3; s++)
                amounts[s] =
                    (od[0] * HedFromRgb[0, s] + od[1] * HedFromRgb[1, s] + od[2] * HedFromRgb[2, s]) * scale[s]
                    + shift[s];
            for (int c = 0; c < 3; c++)
            {
                double density =
                    amounts[0] * RgbFromHed[0, c] + amounts[1] * RgbFromHed[1, c] + amounts[2] * RgbFromHed[2, c];
                pixels[o + c] = StainMath.ToByte(256 * Math.Exp(-Math.Max(0, density)) - 1);
            }
        }
        return new RgbImage(image.Width, image.Height, pixels);
    }

    /// <summary>Hue turned by shift (scale[0] − 1 of the circle), saturation and value scaled.</summary>
    private static RgbImage Hsv(RgbImage image, double[] scale)
    {
        var pixels = new byte[image.Pixels.Length];
        double turn = scale[0] - 1;
        for (int o = 0; o < pixels.Length; o += 3)
        {
            double r = image.Pixels[o] / 255.0,
                g = image.Pixels[o + 1] / 255.0,
                b = image.Pixels[o + 2] / 255.0;
            double max = Math.Max(r, Math.Max(g, b)),
                min = Math.Min(r, Math.Min(g, b)),
                chroma = max - min;
            double hue =
                chroma == 0 ? 0
                : max == r ? ((g - b) / chroma + 6) % 6
                : max == g ? (b - r) / chroma + 2
                : (r - g) / chroma + 4;
            hue = ((hue / 6 + turn) % 1 + 1) % 1 * 6;
            double value = Math.Clamp(max * scale[2], 0, 1),
                saturation = max == 0 ? 0 : Math.Clamp(chroma / max * scale[1], 0, 1);
            double c2 = value * saturation,
                x = c2 * (1 - Math.Abs(hue % 2 - 1)),
                m = value - c2;
            var (r2, g2, b2) = (int)hue switch
            {
                0 => (c2, x, 0.0),
                1 => (x, c2, 0.0),
                2 => (0.0, c2, x),
                3 => (0.0, x, c2),
                4 => (x, 0.0, c2),
                _ => (c2, 0.0, x),
            };
            pixels[o] = StainMath.ToByte((r2 + m) * 255);
            pixels[o + 1] = StainMath.ToByte((g2 + m) * 255);
            pixels[o + 2] = StainMath.ToByte((b2 + m) * 255);
        }
        return new RgbImage(image.Width, image.Height, pixels);
    }

    private static int Hash(string text)
    {
        var bytes = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text));
        return BitConverter.ToInt32(bytes, 0);
    }

    private static double[,] Invert(double[,] m)
    {
        double det =
            m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1])
            - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
            + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0]);
        var inverse = new double[3, 3];
        for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
        {
            int r0 = (j + 1) % 3,
                r1 = (j + 2) % 3,
                c0 = (i + 1) % 3,
                c1 = (i + 2) % 3;
            inverse[i, j] = (m[r0, c0] * m[r1, c1] - m[r0, c1] * m[r1, c0]) / det;
        }
        return inverse;
    }
}
