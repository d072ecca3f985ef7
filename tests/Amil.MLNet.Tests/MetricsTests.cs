using Amil.MLNet.Application;
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

    /// <summary>Macro-F1 averages over the classes the items hold or are predicted as (scikit-learn's "macro"): a
    /// class neither present nor predicted is no failure, one predicted but absent scores 0.</summary>
    [Fact]
    public void MacroF1CountsTheClassesPresentOrPredictedOnly()
    {
        float[] P(int c) => [.. Enumerable.Range(0, 3).Select(k => k == c ? 0.8f : 0.1f)];
        var present = ClassificationMetrics.Compute(
            [P(0), P(1), P(1), P(1)],
            [0, 0, 1, 1],
            [null, null, null, null],
            3
        );
        Assert.Equal((2.0 / 3 + 0.8) / 2, present.MacroF1, 12); // class 2: neither held nor predicted
        var predicted = ClassificationMetrics.Compute(
            [P(0), P(2), P(1), P(1)],
            [0, 0, 1, 1],
            [null, null, null, null],
            3
        );
        Assert.Equal((2.0 / 3 + 1 + 0) / 3, predicted.MacroF1, 12); // class 2: predicted once, held never
    }

    /// <summary>Perfect predictions have a perfect macro-F1 in every resample, also those that drew one class
    /// only: the interval is [1, 1], not lopsided down to 1 / C.</summary>
    [Fact]
    public void PerfectPredictionsHaveAMacroF1IntervalOfOne()
    {
        var scored = new[] { Scored(0.1f), Scored(0.2f), Scored(0.9f), Scored(0.8f) };
        var m = ClassificationMetrics.Compute(scored, [0, 0, 1, 1], ["a", "a", "b", "c"], 2);
        Assert.Equal([1.0, 1.0], m.Intervals!["macro_f1"]);
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
    public void EveryMetricComesFromTheSamePredictions()
    {
        var random = new Random(5);
        var truth = Enumerable.Range(0, 50).Select(i => i % 3).ToList();
        var scored = truth
            .Select(t =>
            {
                var p = Enumerable.Range(0, 3).Select(c => random.NextSingle() + (c == t ? 0.4f : 0)).ToArray();
                float sum = p.Sum();
                p = p.Select(v => v / sum).ToArray();
                return new ScoredImage(
                    "x",
                    Array.IndexOf(p, p.Max()),
                    p,
                    [1f],
                    [0, 0],
                    Scored(0).Layout,
                    MapKind.Attention
                );
            })
            .ToList();
        var m = ClassificationMetrics.Compute(scored, truth, truth.Select(_ => (string?)null).ToList(), 3);
        int trace = Enumerable.Range(0, 3).Sum(c => m.ConfusionMatrix[c][c]);
        Assert.Equal(50, m.ConfusionMatrix.Sum(r => r.Sum()));
        Assert.Equal(trace / 50.0, m.Accuracy, 12);
        Assert.Equal(
            Enumerable.Range(0, 3).Average(c => m.ConfusionMatrix[c][c] / (double)m.ConfusionMatrix[c].Sum()),
            m.MacroAccuracy,
            12
        );
        Assert.Equal(truth.Select((t, i) => -Math.Log(scored[i].Probabilities[t])).Average(), m.LogLoss, 5);
    }

    [Fact]
    public void NaNProbabilitiesAreAnErrorNotAClass()
    {
        var nan = Scored(0.9f) with { Path = "tumour.png", Probabilities = [float.NaN, float.NaN], PredictedIndex = 0 };
        var e = Assert.Throws<InvalidDataException>(() =>
            ClassificationMetrics.Compute([Scored(0.1f), nan], [0, 1], [null, null], 2)
        );
        Assert.Contains("tumour.png", e.Message);
        var scoring = Assert.Throws<NonFiniteScoreException>(() => NonFiniteScoreException.Checked(nan));
        Assert.Contains("tumour.png", scoring.Message);
        Assert.Contains("probabilities", scoring.Message);
        var map = Scored(0.9f) with { Path = "b.png", Map = [float.PositiveInfinity] };
        Assert.Contains(
            "map",
            Assert.Throws<NonFiniteScoreException>(() => NonFiniteScoreException.Checked(map)).Message
        );
        Assert.Same(Scored(0.2f) is var ok ? ok : null, NonFiniteScoreException.Checked(ok));
    }

    [Fact]
    public void APredictionThatIsNotTheArgMaxIsRefused()
    {
        var wrong = Scored(0.9f) with { PredictedIndex = 0 };
        Assert.Throws<InvalidDataException>(() => ClassificationMetrics.Compute([wrong], [1], [null], 2));
    }

    [Fact]
    public void RocAucHandlesTiesAndMissingClasses()
    {
        Assert.Equal(0.5, Amil.MLNet.Maps.Metrics.RankMetrics.Auroc([0.5, 0.5], [true, false])!.Value, 9);
        Assert.Equal(0.0, Amil.MLNet.Maps.Metrics.RankMetrics.Auroc([0.9, 0.1], [false, true])!.Value, 9);
        Assert.Null(Amil.MLNet.Maps.Metrics.RankMetrics.Auroc([0.9, 0.1], [true, true]));
    }
}
