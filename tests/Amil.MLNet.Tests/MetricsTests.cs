using Amil.MLNet.Experiments;
using Xunit;

namespace Amil.MLNet.Tests;

public class MetricsTests
{
    private static ScoredImage Scored(float p1) =>
        new(
            "x",
            p1 > 0.5f ? 1 : 0,
            [1 - p1, p1],
            [1f],
            [0, 0],
            new Amil.MLNet.Transforms.Bagging.BagLayout(3, 28, 28, 1, 1, 0, 0, 28, 28),
            MapKind.Attention
        );

    [Fact]
    public void PerfectPredictionsScorePerfectly()
    {
        var scored = new[] { Scored(0.1f), Scored(0.2f), Scored(0.9f), Scored(0.8f) };
        var m = ClassificationMetrics.Compute(scored, [0, 0, 1, 1], ["a", "a", "b", "c"], 2);
        Assert.Equal(1.0, m.Accuracy, 6);
        Assert.Equal(1.0, m.MacroAccuracy, 6);
        Assert.Equal(1.0, m.MacroF1, 6);
        Assert.Equal(1.0, m.Auc!.Value, 6);
        Assert.InRange(m.LogLoss, 0.1, 0.2);
        Assert.Equal(1.0, m.PatientAccuracy!.Value, 6);
        Assert.Equal(3, m.Patients);
    }

    [Fact]
    public void OneMistakeInFourGivesThreeQuarters()
    {
        var scored = new[] { Scored(0.1f), Scored(0.85f), Scored(0.9f), Scored(0.8f) };
        var m = ClassificationMetrics.Compute(scored, [0, 0, 1, 1], [null, null, null, null], 2);
        Assert.Equal(0.75, m.Accuracy, 6);
        Assert.Equal(0.75, m.MacroAccuracy, 6);
        Assert.Equal(
            [
                [1, 1],
                [0, 2],
            ],
            m.ConfusionMatrix
        );
        Assert.Equal(0.75, m.Auc!.Value, 6); // the 0.85 negative outranks one of the two positives
        Assert.Null(m.PatientAccuracy);
    }

    [Fact]
    public void RocAucHandlesTiesAndMissingClasses()
    {
        Assert.Equal(0.5, Amil.MLNet.Localization.Metrics.RankMetrics.Auroc([0.5, 0.5], [true, false])!.Value, 9);
        Assert.Equal(0.0, Amil.MLNet.Localization.Metrics.RankMetrics.Auroc([0.9, 0.1], [false, true])!.Value, 9);
        Assert.Null(Amil.MLNet.Localization.Metrics.RankMetrics.Auroc([0.9, 0.1], [true, true]));
    }
}
