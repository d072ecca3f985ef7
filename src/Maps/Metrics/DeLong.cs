namespace Amil.MLNet.Maps.Metrics;

/// <summary>DeLong's test of two correlated ROC curves: the two AUCs, their difference, its standard error, a 95 %
/// interval, z and the two-sided p-value.</summary>
public sealed record DeLongResult(
    double AucA,
    double AucB,
    double Difference,
    double StandardError,
    Interval DifferenceInterval,
    double Z,
    double P
);

/// <summary>
/// DeLong, DeLong and Clarke-Pearson (1988): the AUC is the mean of each positive's and each negative's placement
/// value (the share of the other class it outranks, ties half); the variance of two AUCs scored on the same items
/// comes from the covariances of those placements, so a paired comparison needs no resampling.
/// </summary>
public static class DeLong
{
    /// <summary>Compares the AUCs of scores <paramref name="a"/> and <paramref name="b"/> of the same items.</summary>
    /// <exception cref="ArgumentException">The lists differ in length, or a class is absent.</exception>
    public static DeLongResult Compare(IReadOnlyList<double> a, IReadOnlyList<double> b, IReadOnlyList<bool> positive)
    {
        if (a.Count != b.Count || a.Count != positive.Count)
            throw new ArgumentException("DeLong's test needs both scores and the truth for the same items.");
        var positives = Enumerable.Range(0, a.Count).Where(i => positive[i]).ToArray();
        var negatives = Enumerable.Range(0, a.Count).Where(i => !positive[i]).ToArray();
        if (positives.Length < 2 || negatives.Length < 2)
            throw new ArgumentException("DeLong's test needs at least two positive and two negative items.");
        var (v10a, v01a) = Placements(a, positives, negatives);
        var (v10b, v01b) = Placements(b, positives, negatives);
        double aucA = v10a.Average(),
            aucB = v10b.Average();
        double variance =
            (Covariance(v10a, v10a) + Covariance(v10b, v10b) - 2 * Covariance(v10a, v10b)) / positives.Length
            + (Covariance(v01a, v01a) + Covariance(v01b, v01b) - 2 * Covariance(v01a, v01b)) / negatives.Length;
        double se = Math.Sqrt(Math.Max(variance, 0));
        double difference = aucA - aucB;
        double z = se > 0 ? difference / se : 0;
        double p =
            se > 0 ? 2 * NormalTail(Math.Abs(z))
            : difference == 0 ? 1
            : 0;
        const double z95 = 1.959963984540054;
        return new DeLongResult(
            aucA,
            aucB,
            difference,
            se,
            new Interval(difference - z95 * se, difference + z95 * se),
            z,
            p
        );
    }

    /// <summary>Each positive's share of negatives scored below it (V10) and each negative's share of positives
    /// scored above it (V01), ties counted half.</summary>
    private static (double[] V10, double[] V01) Placements(IReadOnlyList<double> s, int[] positives, int[] negatives)
    {
        var v10 = new double[positives.Length];
        var v01 = new double[negatives.Length];
        for (int i = 0; i < positives.Length; i++)
        for (int j = 0; j < negatives.Length; j++)
        {
            double x = s[positives[i]],
                y = s[negatives[j]];
            double psi =
                x > y ? 1
                : x == y ? 0.5
                : 0;
            v10[i] += psi / negatives.Length;
            v01[j] += psi / positives.Length;
        }
        return (v10, v01);
    }

    private static double Covariance(double[] x, double[] y)
    {
        double mx = x.Average(),
            my = y.Average();
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
            sum += (x[i] - mx) * (y[i] - my);
        return sum / (x.Length - 1);
    }

    /// <summary>P(Z &gt; z) of the standard normal: erfc(z / √2) / 2, by the Numerical Recipes rational Chebyshev
    /// approximation of erfc (relative error under 1.2e-7).</summary>
    public static double NormalTail(double z) => Erfc(z / Math.Sqrt(2)) / 2;

    private static readonly double[] ErfcCoefficients =
    [
        -1.26551223,
        1.00002368,
        0.37409196,
        0.09678418,
        -0.18628806,
        0.27886807,
        -1.13520398,
        1.48851587,
        -0.82215223,
        0.17087277,
    ];

    private static double Erfc(double x)
    {
        double t = 1 / (1 + 0.5 * Math.Abs(x));
        double polynomial = 0;
        for (int k = ErfcCoefficients.Length - 1; k >= 0; k--)
            polynomial = ErfcCoefficients[k] + t * polynomial;
        double y = t * Math.Exp(-x * x + polynomial);
        return x >= 0 ? y : 2 - y;
    }
}
