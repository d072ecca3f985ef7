using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Transforms.Stain;

/// <summary>Macenko's stain separation: the optical densities of stained pixels lie near the plane of the two
/// largest principal directions; the extreme angles there (1st and 99th percentile) are the haematoxylin and eosin
/// vectors (haematoxylin the one denser in red). Concentrations solve OD = [H E] · c in least squares; the mapping
/// rescales them to the reference's 99th percentiles and recomposes with the reference's vectors.</summary>
internal static class MacenkoStains
{
    /// <summary>Pixels lighter than this in any channel's optical density are background or too faint.</summary>
    private const float MinimumDensity = 0.15f;

    private const double Alpha = 1;

    public static float[] Measure(RgbImage image, IReadOnlyList<bool>? tissue)
    {
        var od = Densities(image, tissue);
        int n = od.Length / 3;
        StainMath.RequireTissue(n);
        var (_, vectors) = StainMath.SymmetricEigen(Covariance(od));
        double[] e1 = Positive(vectors, 0),
            e2 = Positive(vectors, 1);
        var angles = new double[n];
        for (int i = 0; i < n; i++)
            angles[i] = Math.Atan2(Dot(od, i, e2), Dot(od, i, e1));
        double low = StainMath.Percentile(angles, Alpha),
            high = StainMath.Percentile(angles, 100 - Alpha);
        double[] a = Unit(e1, e2, low),
            b = Unit(e1, e2, high);
        var (h, e) = a[0] > b[0] ? (a, b) : (b, a);
        var inverse = PseudoInverse(h, e);
        var ch = new double[n];
        var ce = new double[n];
        for (int i = 0; i < n; i++)
            (ch[i], ce[i]) = Concentrations(inverse, od[3 * i], od[3 * i + 1], od[3 * i + 2]);
        double maxH = StainMath.Percentile(ch, 99),
            maxE = StainMath.Percentile(ce, 99);
        if (!(maxH > 0 && maxE > 0))
            throw new InvalidDataException("the tissue shows no measurable haematoxylin and eosin.");
        return [.. h.Concat(e).Append(maxH).Append(maxE).Select(v => (float)v)];
    }

    public static Action<byte[]> Mapping(IReadOnlyList<float> source, IReadOnlyList<float> reference)
    {
        var inverse = PseudoInverse(Vector(source, 0), Vector(source, 3));
        double scaleH = reference[6] / source[6],
            scaleE = reference[7] / source[7];
        double[] h = Vector(reference, 0),
            e = Vector(reference, 3);
        var density = StainMath.Density;
        return pixels =>
        {
            for (int i = 0; i < pixels.Length; i += 3)
            {
                var (ch, ce) = Concentrations(
                    inverse,
                    density[pixels[i]],
                    density[pixels[i + 1]],
                    density[pixels[i + 2]]
                );
                ch *= scaleH;
                ce *= scaleE;
                for (int c = 0; c < 3; c++)
                    pixels[i + c] = StainMath.ToByte(256 * Math.Exp(-(h[c] * ch + e[c] * ce)) - 1);
            }
        };
    }

    /// <summary>The optical densities (R, G, B per pixel) of the stained tissue pixels.</summary>
    private static float[] Densities(RgbImage image, IReadOnlyList<bool>? tissue)
    {
        var kept = new List<float>();
        var p = image.Pixels;
        var density = StainMath.Density;
        for (int i = 0; i < image.Width * image.Height; i++)
        {
            if (tissue is not null && !tissue[i])
                continue;
            float r = density[p[3 * i]],
                g = density[p[3 * i + 1]],
                b = density[p[3 * i + 2]];
            if (r >= MinimumDensity && g >= MinimumDensity && b >= MinimumDensity)
                kept.AddRange([r, g, b]);
        }
        return [.. kept];
    }

    private static double[,] Covariance(float[] od)
    {
        int n = od.Length / 3;
        var mean = new double[3];
        for (int i = 0; i < od.Length; i++)
            mean[i % 3] += od[i] / (double)n;
        var cov = new double[3, 3];
        for (int i = 0; i < n; i++)
        for (int r = 0; r < 3; r++)
        for (int c = r; c < 3; c++)
            cov[r, c] += (od[3 * i + r] - mean[r]) * (od[3 * i + c] - mean[c]) / (n - 1);
        for (int r = 0; r < 3; r++)
        for (int c = 0; c < r; c++)
            cov[r, c] = cov[c, r];
        return cov;
    }

    /// <summary>Eigenvector <paramref name="k"/>, signed so its components sum positive (densities are).</summary>
    private static double[] Positive(double[,] vectors, int k)
    {
        var v = new[] { vectors[0, k], vectors[1, k], vectors[2, k] };
        return v.Sum() < 0 ? [.. v.Select(x => -x)] : v;
    }

    private static double Dot(float[] od, int i, double[] v) =>
        od[3 * i] * v[0] + od[3 * i + 1] * v[1] + od[3 * i + 2] * v[2];

    private static double[] Unit(double[] e1, double[] e2, double angle)
    {
        var v = new double[3];
        for (int c = 0; c < 3; c++)
            v[c] = e1[c] * Math.Cos(angle) + e2[c] * Math.Sin(angle);
        double norm = Math.Sqrt(v.Sum(x => x * x));
        return [.. v.Select(x => x / norm)];
    }

    private static double[] Vector(IReadOnlyList<float> values, int at) => [values[at], values[at + 1], values[at + 2]];

    /// <summary>(AᵀA)⁻¹Aᵀ for A = [h e] (3 × 2): rows map an optical density to the two concentrations.</summary>
    private static double[,] PseudoInverse(double[] h, double[] e)
    {
        double hh = h.Zip(h).Sum(p => p.First * p.Second),
            he = h.Zip(e).Sum(p => p.First * p.Second),
            ee = e.Zip(e).Sum(p => p.First * p.Second);
        double det = hh * ee - he * he;
        if (Math.Abs(det) < 1e-12)
            throw new InvalidDataException(
                "the haematoxylin and eosin vectors coincide; the stain cannot be separated."
            );
        var inverse = new double[2, 3];
        for (int c = 0; c < 3; c++)
        {
            inverse[0, c] = (ee * h[c] - he * e[c]) / det;
            inverse[1, c] = (hh * e[c] - he * h[c]) / det;
        }
        return inverse;
    }

    private static (double H, double E) Concentrations(double[,] inverse, double r, double g, double b) =>
        (
            inverse[0, 0] * r + inverse[0, 1] * g + inverse[0, 2] * b,
            inverse[1, 0] * r + inverse[1, 1] * g + inverse[1, 2] * b
        );
}
