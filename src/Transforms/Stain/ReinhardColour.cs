using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Transforms.Stain;

/// <summary>Reinhard's colour transfer in Ruderman's lαβ space (RGB → LMS → log10 → decorrelated axes): the profile
/// is each axis's tissue mean and standard deviation; the mapping moves a source's onto a reference's. Near-white
/// background is neither measured nor changed, so glass stays white.</summary>
internal static class ReinhardColour
{
    private static readonly double Root3 = Math.Sqrt(3),
        Root6 = Math.Sqrt(6),
        Root2 = Math.Sqrt(2);

    public static float[] Measure(RgbImage image, IReadOnlyList<bool>? tissue)
    {
        var sum = new double[3];
        var squares = new double[3];
        long count = 0;
        var p = image.Pixels;
        for (int i = 0; i < image.Width * image.Height; i++)
        {
            if ((tissue is not null && !tissue[i]) || Background(p, 3 * i))
                continue;
            var lab = ToLab(p[3 * i], p[3 * i + 1], p[3 * i + 2]);
            for (int c = 0; c < 3; c++)
            {
                sum[c] += lab[c];
                squares[c] += lab[c] * lab[c];
            }
            count++;
        }
        StainMath.RequireTissue(count);
        var mean = sum.Select(s => s / count).ToArray();
        var std = squares.Select((s, c) => Math.Sqrt(Math.Max(s / count - mean[c] * mean[c], 1e-12))).ToArray();
        return [.. mean.Concat(std).Select(v => (float)v)];
    }

    public static Action<byte[]> Mapping(IReadOnlyList<float> source, IReadOnlyList<float> reference) =>
        pixels =>
        {
            for (int i = 0; i < pixels.Length; i += 3)
            {
                if (Background(pixels, i))
                    continue;
                var lab = ToLab(pixels[i], pixels[i + 1], pixels[i + 2]);
                for (int c = 0; c < 3; c++)
                    lab[c] = (lab[c] - source[c]) / source[c + 3] * reference[c + 3] + reference[c];
                var (r, g, b) = FromLab(lab);
                pixels[i] = StainMath.ToByte(r);
                pixels[i + 1] = StainMath.ToByte(g);
                pixels[i + 2] = StainMath.ToByte(b);
            }
        };

    /// <summary>Glass: every channel above 220.</summary>
    private static bool Background(byte[] p, int i) => p[i] > 220 && p[i + 1] > 220 && p[i + 2] > 220;

    private static double[] ToLab(byte r, byte g, byte b)
    {
        double l = Math.Log10(Math.Max(0.3811 * r + 0.5783 * g + 0.0402 * b, 1)),
            m = Math.Log10(Math.Max(0.1967 * r + 0.7244 * g + 0.0782 * b, 1)),
            s = Math.Log10(Math.Max(0.0241 * r + 0.1288 * g + 0.8444 * b, 1));
        return [(l + m + s) / Root3, (l + m - 2 * s) / Root6, (l - m) / Root2];
    }

    private static (double R, double G, double B) FromLab(double[] lab)
    {
        double a = lab[0] / Root3,
            b = lab[1] / Root6,
            c = lab[2] / Root2;
        double l = Math.Pow(10, a + b + c),
            m = Math.Pow(10, a + b - c),
            s = Math.Pow(10, a - 2 * b);
        return (
            4.4679 * l - 3.5873 * m + 0.1193 * s,
            -1.2186 * l + 2.3809 * m - 0.1624 * s,
            0.0497 * l - 0.2439 * m + 1.2045 * s
        );
    }
}
