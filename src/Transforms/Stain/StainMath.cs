namespace Amil.MLNet.Transforms.Stain;

/// <summary>What the stain methods share: optical density, percentiles, a 3 × 3 symmetric eigen-solver.</summary>
internal static class StainMath
{
    /// <summary>Fewer stained pixels than this are no basis for a profile.</summary>
    public const int MinimumPixels = 100;

    /// <summary>Optical density of each byte value: −ln((v + 1) / 256), so white is 0 and black finite.</summary>
    public static readonly float[] Density =
    [
        .. Enumerable.Range(0, 256).Select(v => (float)-Math.Log((v + 1) / 256.0)),
    ];

    public static void RequireTissue(long count)
    {
        if (count < MinimumPixels)
            throw new InvalidDataException(
                $"too little stained tissue to measure its stain ({count} pixels, at least {MinimumPixels} needed)."
            );
    }

    public static byte ToByte(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);

    /// <summary>The value below which <paramref name="percent"/> % of <paramref name="values"/> lie (sorted in
    /// place; nearest rank with linear interpolation, as NumPy's default).</summary>
    public static double Percentile(double[] values, double percent)
    {
        Array.Sort(values);
        double rank = percent / 100 * (values.Length - 1);
        int low = (int)Math.Floor(rank),
            high = Math.Min(low + 1, values.Length - 1);
        return values[low] + (rank - low) * (values[high] - values[low]);
    }

    /// <summary>Eigenvalues and unit eigenvectors (columns) of a symmetric 3 × 3 matrix, largest eigenvalue first
    /// (Jacobi rotations: exact enough and short).</summary>
    public static (double[] Values, double[,] Vectors) SymmetricEigen(double[,] matrix)
    {
        var a = (double[,])matrix.Clone();
        var v = new double[,]
        {
            { 1, 0, 0 },
            { 0, 1, 0 },
            { 0, 0, 1 },
        };
        for (int sweep = 0; sweep < 50; sweep++)
        {
            double off = Math.Abs(a[0, 1]) + Math.Abs(a[0, 2]) + Math.Abs(a[1, 2]);
            if (off < 1e-15)
                break;
            for (int p = 0; p < 2; p++)
            for (int q = p + 1; q < 3; q++)
                Rotate(a, v, p, q);
        }
        var order = new[] { 0, 1, 2 }.OrderByDescending(i => a[i, i]).ToArray();
        var vectors = new double[3, 3];
        for (int k = 0; k < 3; k++)
        for (int r = 0; r < 3; r++)
            vectors[r, k] = v[r, order[k]];
        return ([.. order.Select(i => a[i, i])], vectors);
    }

    private static void Rotate(double[,] a, double[,] v, int p, int q)
    {
        if (Math.Abs(a[p, q]) < 1e-300)
            return;
        double theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
        double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
        if (theta == 0)
            t = 1;
        double c = 1 / Math.Sqrt(t * t + 1),
            s = t * c;
        for (int k = 0; k < 3; k++)
        {
            double akp = a[k, p],
                akq = a[k, q];
            a[k, p] = c * akp - s * akq;
            a[k, q] = s * akp + c * akq;
        }
        for (int k = 0; k < 3; k++)
        {
            double apk = a[p, k],
                aqk = a[q, k];
            a[p, k] = c * apk - s * aqk;
            a[q, k] = s * apk + c * aqk;
        }
        for (int k = 0; k < 3; k++)
        {
            double vkp = v[k, p],
                vkq = v[k, q];
            v[k, p] = c * vkp - s * vkq;
            v[k, q] = s * vkp + c * vkq;
        }
    }
}
