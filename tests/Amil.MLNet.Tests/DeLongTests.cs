using Amil.MLNet.Maps.Metrics;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>DeLong's paired AUC test against an independent reference: Sun and Xu's midrank algorithm in Python
/// (Reference/delong_reference.py, which printed the values below), on data with ties.</summary>
public sealed class DeLongTests
{
    private static readonly bool[] Truth =
    [
        .. new[] { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 }.Select(t => t == 1),
    ];
    private static readonly double[] A =
    [
        0.91,
        0.84,
        0.77,
        0.62,
        0.58,
        0.55,
        0.40,
        0.33,
        0.61,
        0.45,
        0.30,
        0.28,
        0.20,
        0.15,
        0.12,
        0.55,
        0.08,
        0.05,
        0.70,
        0.33,
    ];
    private static readonly double[] B =
    [
        0.70,
        0.52,
        0.81,
        0.44,
        0.61,
        0.30,
        0.52,
        0.25,
        0.65,
        0.52,
        0.41,
        0.22,
        0.35,
        0.30,
        0.18,
        0.47,
        0.26,
        0.10,
        0.66,
        0.05,
    ];

    [Fact]
    public void MatchesTheMidrankReference()
    {
        var result = DeLong.Compare(A, B, Truth);

        Assert.Equal(0.909090909090909, result.AucA, 12);
        Assert.Equal(0.803030303030303, result.AucB, 12);
        Assert.Equal(0.06691680956308231, result.StandardError, 12);
        Assert.Equal(1.584962085806301, result.Z, 10);
        Assert.Equal(0.1129749488107393, result.P, 6); // the normal tail's approximation: 1.2e-7 relative
        Assert.Equal(result.AucA, RankMetrics.Auroc(A, Truth)!.Value, 12);
        Assert.True(
            result.DifferenceInterval.Low < result.Difference && result.Difference < result.DifferenceInterval.High
        );
    }

    [Fact]
    public void AModelComparedWithItselfDiffersByNothing()
    {
        var result = DeLong.Compare(A, A, Truth);

        Assert.Equal(0, result.Difference);
        Assert.Equal(1, result.P);
    }

    [Fact]
    public void OneClassIsRefused() =>
        Assert.Throws<ArgumentException>(() => DeLong.Compare(A, B, [.. Truth.Select(_ => true)]));
}

/// <summary>localize's paired comparison of two models on the same items.</summary>
public sealed class PairedComparisonTests
{
    [Fact]
    public void TheDifferenceAgreesWithEachModelsOwnFiguresAndCarriesItsIntervals()
    {
        var random = new Random(4);
        var truth = Enumerable.Range(0, 60).Select(i => i % 2).ToList();
        var patients = truth.Select((_, i) => (string?)$"p{i / 3}").ToList();
        float[] Scored(int t, double skill)
        {
            float p = (float)
                Math.Clamp(0.5 + (t == 1 ? skill : -skill) + (random.NextDouble() - 0.5) * 0.8, 0.01, 0.99);
            return [1 - p, p];
        }
        var good = truth.Select(t => Scored(t, 0.3)).ToList();
        var weak = truth.Select(t => Scored(t, 0.05)).ToList();

        var c = Application.PairedComparison.Of(("good", good), ("weak", weak), truth, patients);
        var same = Application.PairedComparison.Of(("good", good), ("good", good), truth, patients);

        double Accuracy(List<float[]> p) => p.Select((x, i) => (x[1] > x[0] ? 1 : 0) == truth[i] ? 1.0 : 0).Average();
        Assert.Equal(Math.Round(Accuracy(good) - Accuracy(weak), 4), c.AccuracyDifference);
        Assert.InRange(c.AccuracyDifference, c.AccuracyDifferenceInterval![0], c.AccuracyDifferenceInterval[1]);
        var positive = truth.Select(t => t == 1).ToList();
        double auc(List<float[]> p) => RankMetrics.Auroc([.. p.Select(x => (double)x[1])], positive)!.Value;
        Assert.Equal(Math.Round(auc(good) - auc(weak), 4), c.AucDifference);
        Assert.True(c.DeLongP < 0.05, $"a clearly better model: p {c.DeLongP}");
        Assert.Equal((0, 1.0), (same.AccuracyDifference, same.DeLongP!.Value));
        Assert.Contains("| good | weak |", Application.PairedComparison.Markdown([c]));
    }
}
