using Amil.MLNet.Application;
using Amil.MLNet.Maps.Metrics;
using Amil.MLNet.Trainers;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>The statistics behind the intervals: coverage on simulated data with a known truth, resampling by
/// patient, the same intervals from the same seed, and metrics.json's intervals around its figures.</summary>
public class BootstrapTests
{
    [Fact]
    public void SavedIntervalsAreRoundedOutwardsSoTheyStillHoldTheirFigure()
    {
        // An interval whose low end is its figure (two patients: the lowest resample is the whole split), 0.788652:
        // rounded to the nearest it would read 0.7887, above the figure beside it.
        var named = Bootstrap.Named(
            ["auroc", "ap", "exact"],
            [0.788652, 0.5, 0.95],
            [new Interval(0.788652, 0.98854), new Interval(0.41234, 0.60001), new Interval(0.95, 1.0)]
        );
        Assert.Equal([0.7886, 0.9886], named["auroc"]);
        Assert.Equal([0.4123, 0.6001], named["ap"]);
        Assert.Equal([0.95, 1.0], named["exact"]); // values already at 4 decimals stay as they are
    }

    [Fact]
    public void NinetyFivePercentIntervalsCoverTheTrueAccuracyAboutNinetyFivePercentOfTheTime()
    {
        const double truth = 0.8;
        const int simulations = 400,
            patients = 80;
        var random = new Random(7);
        int covered = 0;
        for (int s = 0; s < simulations; s++)
        {
            // Two images a patient, each correct with probability 0.8 on its own.
            var correct = Enumerable.Range(0, 2 * patients).Select(_ => random.NextDouble() < truth).ToArray();
            var groups = Enumerable.Range(0, 2 * patients).Select(i => (string?)$"p{i / 2}").ToArray();
            var interval = new Bootstrap(groups, resamples: 400, seed: s).Of(items =>
                items.Average(i => correct[i] ? 1.0 : 0.0)
            )!;
            if (interval.Low <= truth && truth <= interval.High)
                covered++;
        }
        double coverage = covered / (double)simulations;
        Assert.InRange(coverage, 0.91, 0.985);
    }

    [Fact]
    public void ResamplingByPatientWidensTheIntervalWhenAPatientsImagesAgree()
    {
        // 20 patients of 10 images; a patient's images are all right or all wrong: 20 outcomes, not 200.
        var random = new Random(3);
        var patientRight = Enumerable.Range(0, 20).Select(_ => random.NextDouble() < 0.7).ToArray();
        var correct = Enumerable.Range(0, 200).Select(i => patientRight[i / 10]).ToArray();
        double? Accuracy(IReadOnlyList<int> items) => items.Average(i => correct[i] ? 1.0 : 0.0);
        var byPatient = new Bootstrap([.. Enumerable.Range(0, 200).Select(i => (string?)$"p{i / 10}")]);
        var byImage = new Bootstrap(new string?[200]);
        Assert.True(byPatient.ByGroup);
        Assert.Equal(20, byPatient.Groups);
        Assert.False(byImage.ByGroup);
        var wide = byPatient.Of(Accuracy)!;
        var narrow = byImage.Of(Accuracy)!;
        double ratio = (wide.High - wide.Low) / (narrow.High - narrow.Low);
        // sqrt(10) ≈ 3.2 in expectation.
        Assert.InRange(ratio, 2.2, 4.5);
    }

    [Fact]
    public void TheSameSeedGivesTheSameIntervalsAndAnUndefinedMetricHasNone()
    {
        var groups = Enumerable.Range(0, 30).Select(i => (string?)$"p{i % 12}").ToArray();
        double? Mean(IReadOnlyList<int> items) => items.Average(i => i % 7);
        Assert.Equal(new Bootstrap(groups, seed: 5).Of(Mean), new Bootstrap(groups, seed: 5).Of(Mean));
        Assert.NotEqual(new Bootstrap(groups, seed: 5).Of(Mean), new Bootstrap(groups, seed: 6).Of(Mean));
        Assert.Null(new Bootstrap(groups).Of(_ => (double?)null));
        Assert.Throws<ArgumentException>(() => new Bootstrap([]));
    }

    private static ScoredImage Scored(string path, float p1) =>
        new(
            path,
            p1 > 0.5f ? 1 : 0,
            [1 - p1, p1],
            [1f],
            [0, 0],
            new Transforms.Bagging.BagLayout(3, 28, 28, 1, 1, 0, 0, 28, 28),
            MapKind.Attention
        );

    [Fact]
    public void MetricsCarryIntervalsAroundTheirFiguresByPatient()
    {
        var random = new Random(11);
        var scored = new List<ScoredImage>();
        var truth = new List<int>();
        var patients = new List<string?>();
        for (int i = 0; i < 60; i++)
        {
            int label = i % 2;
            float p1 = (float)
                Math.Clamp(label == 1 ? 0.65 + 0.3 * random.NextDouble() : 0.45 * random.NextDouble(), 0, 1);
            if (i % 10 == 0)
                p1 = 1 - p1; // some mistakes
            scored.Add(Scored($"img{i}.png", p1));
            truth.Add(label);
            patients.Add($"patient{i / 3}");
        }
        var metrics = ClassificationMetrics.Compute(scored, truth, patients, 2);
        Assert.Equal(new BootstrapSettings(1000, 1, 0.95, "patient", 20), metrics.Bootstrap);
        var values = new Dictionary<string, double?>
        {
            ["accuracy"] = metrics.Accuracy,
            ["macro_accuracy"] = metrics.MacroAccuracy,
            ["macro_f1"] = metrics.MacroF1,
            ["log_loss"] = metrics.LogLoss,
            ["auc"] = metrics.Auc,
            ["patient_accuracy"] = metrics.PatientAccuracy,
        };
        Assert.Equal(ClassificationMetrics.IntervalNames.Order(), metrics.Intervals!.Keys.Order());
        foreach (var (name, value) in values)
        {
            var interval = metrics.Intervals[name];
            Assert.True(
                interval[0] <= value && value <= interval[1],
                $"{name} {value} outside [{interval[0]}, {interval[1]}]"
            );
            Assert.True(interval[1] - interval[0] > 0, name);
        }
        Assert.Matches(@"^0\.\d{3} \[0\.\d{3}, (0|1)\.\d{3}\]$", metrics.WithInterval("accuracy", metrics.Accuracy));
    }
}
