using System.Text.Json;
using Amil.MLNet.Maps.Metrics;
using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Trainers.Training;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Calibration on constructed cases with a known answer: ECE and Brier by hand, temperature scaling
/// recovering a known over-confidence, the temperature saved in the model and applied when it scores.</summary>
public sealed class CalibrationTests
{
    [Fact]
    public void EceAndBrierMatchTheirHandComputedValues()
    {
        // Ten predictions at 0.8: eight right is calibrated (ECE 0), five right is 0.3 off.
        var p = Enumerable.Repeat(new[] { 0.8f, 0.2f }, 10).ToList();
        var eightRight = Enumerable.Range(0, 10).Select(i => i < 8 ? 0 : 1).ToList();
        var fiveRight = Enumerable.Range(0, 10).Select(i => i < 5 ? 0 : 1).ToList();

        Assert.Equal(0, Calibration.ExpectedError(p, eightRight), 6);
        Assert.Equal(0.3, Calibration.ExpectedError(p, fiveRight), 6);
        // right: (0.2² + 0.2²) = 0.08; wrong: (0.8² + 0.8²) = 1.28
        Assert.Equal((8 * 0.08 + 2 * 1.28) / 10, Calibration.Brier(p, eightRight), 6);
        var bin = Assert.Single(Calibration.Diagram(p, fiveRight));
        Assert.Equal((10, 0.8, 0.5), (bin.Count, Math.Round(bin.Confidence, 6), bin.Accuracy));
    }

    [Fact]
    public void TemperatureScalingRecoversAKnownOverconfidence()
    {
        // Labels drawn from softmax(z); the "model" reports 3z, three times too confident: T = 3 undoes it.
        var random = new Random(11);
        var logits = new List<float[]>();
        var labels = new List<int>();
        for (int i = 0; i < 6000; i++)
        {
            var z = Enumerable.Range(0, 3).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
            var p = Softmax(z, 1);
            double u = random.NextDouble();
            int label =
                u < p[0] ? 0
                : u < p[0] + p[1] ? 1
                : 2;
            logits.Add(z.Select(v => 3 * v).ToArray());
            labels.Add(label);
        }

        float t = TemperatureScaling.Fit(logits, labels);

        Assert.InRange(t, 2.7f, 3.3f);
        var over = logits.Select(z => Softmax(z, 1)).ToList();
        var scaled = logits.Select(z => Softmax(z, t)).ToList();
        Assert.True(Calibration.ExpectedError(scaled, labels) < Calibration.ExpectedError(over, labels) / 3);
    }

    [Fact]
    public void ASeparableSplitLeavesTheTemperatureAtOne()
    {
        // Every row ranks its class first: the NLL keeps falling as T → 0, so there is nothing to fit.
        var logits = new List<float[]> { new[] { 2f, 0f }, new[] { 0.1f, 0f }, new[] { 0f, 0.3f } };
        var labels = new[] { 0, 0, 1 };
        Assert.True(TemperatureScaling.Separable(logits, labels));
        Assert.Equal(1f, TemperatureScaling.Fit(logits, labels));

        // One error makes the NLL bounded below with an interior minimum: a temperature is fitted again.
        logits.Add([0.4f, 0f]);
        var withError = new[] { 0, 0, 1, 1 };
        Assert.False(TemperatureScaling.Separable(logits, withError));
        float t = TemperatureScaling.Fit(logits, withError);
        Assert.NotEqual(1f, t);
        Assert.InRange(t, TemperatureScaling.Smallest * 1.01f, TemperatureScaling.Largest);
        Assert.True(
            TemperatureScaling.Loss(logits, withError, 1 / t) < TemperatureScaling.Loss(logits, withError, 1)
        );
    }

    [Fact]
    public void APerfectScoreHasALogLossOfPlusZero()
    {
        // A float softmax can round a hair over 1; the printed figure must read 0.000, not -0.000.
        double loss = ClassificationMetrics.MeanLogLoss([[1.0000001f, 0f], [1f, 0f]], [0, 0]);
        Assert.Equal(0, loss);
        Assert.False(double.IsNegative(loss));
    }

    [Fact]
    public void ProbabilitiesAtATemperatureAreExactlyTheScaledSoftmax()
    {
        float[] z = [2.5f, -1f, 0.3f];
        var atT = TemperatureScaling.Apply(Softmax(z, 1), 1.7f);
        var back = TemperatureScaling.Apply(atT, 1 / 1.7f);

        Assert.Equal(Softmax(z, 1.7f), atT, (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal(Softmax(z, 1), back, (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal(Softmax(z, 1), TemperatureScaling.Apply(Softmax(z, 1), 1));
    }

    [Fact]
    public void TheTemperatureIsSavedByKeyAndLeftOutAtOne()
    {
        var spec = new NetworkSpec(28, 500, 128, false, 2);
        var calibrated = spec with { Temperature = 1.25f };

        Assert.Equal(calibrated, NetworkSpec.Decode(calibrated.Encode()));
        Assert.Equal(spec, NetworkSpec.Decode(spec.Encode()));
        // A model at T = 1 writes no temperature, so versions that predate it still read it.
        Assert.Equal(calibrated.Encode().Length - 2, spec.Encode().Length);
    }

    private static float[] Softmax(float[] z, float temperature)
    {
        double max = z.Max() / temperature;
        var e = z.Select(v => Math.Exp(v / temperature - max)).ToArray();
        return e.Select(v => (float)(v / e.Sum())).ToArray();
    }
}

/// <summary>The trained run's model scores at its fitted temperature, and metrics.json's calibration block agrees
/// with the test block beside it.</summary>
[Collection("trained")]
public sealed class CalibratedRunTests(TrainedRunFixture run)
{
    [Fact]
    public void MetricsJsonCarriesTheTemperatureAndFiguresThatAgreeWithTheTestBlock()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.RunDirectory, "metrics.json")));
        var calibration = json.RootElement.GetProperty("calibration");
        var test = json.RootElement.GetProperty("test");

        double t = calibration.GetProperty("temperature").GetDouble();
        Assert.InRange(t, TemperatureScaling.Smallest, TemperatureScaling.Largest);
        Assert.NotEqual(1, t);
        Assert.Equal(Math.Round(test.GetProperty("ece").GetDouble(), 4), calibration.GetProperty("ece").GetDouble());
        Assert.Equal(
            Math.Round(test.GetProperty("brier").GetDouble(), 4),
            calibration.GetProperty("brier").GetDouble()
        );
        Assert.Equal(
            Math.Round(test.GetProperty("log_loss").GetDouble(), 4),
            calibration.GetProperty("log_loss").GetDouble()
        );
        Assert.StartsWith("validation (", calibration.GetProperty("fitted_on").GetString());
        int binned = calibration.GetProperty("bins").EnumerateArray().Sum(b => b.GetProperty("count").GetInt32());
        Assert.Equal(test.GetProperty("images").GetInt32(), binned);
        // keeping every item, the accuracy is the split's
        var all = test.GetProperty("accuracy_coverage").EnumerateArray().Last();
        Assert.Equal(1, all.GetProperty("coverage").GetDouble());
        Assert.Equal(Math.Round(test.GetProperty("accuracy").GetDouble(), 4), all.GetProperty("accuracy").GetDouble());
    }

    [Fact]
    public void PredictGivesEachUncertaintyAndListsTheCasesAboveTheThresholdForReview()
    {
        var output = Path.Combine(TestTemp.Folder("abstain-").FullName, "out");
        var (exit, stdout, stderr) = Programs.Predict(
            Path.Combine(run.RunDirectory, "model.zip"),
            run.DataRoot,
            output,
            "--abstain-above",
            "0.5"
        );
        Assert.True(exit == 0, stderr);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "predictions.json")));
        var predictions = json.RootElement.EnumerateArray().ToList();
        foreach (var p in predictions)
        {
            var probabilities = p.GetProperty("probabilities").EnumerateObject().Select(c => c.Value.GetDouble());
            double entropy = -probabilities.Where(x => x > 0).Sum(x => x * Math.Log(x)) / Math.Log(2);
            double uncertainty = p.GetProperty("uncertainty").GetDouble();
            Assert.Equal(Math.Round(entropy, 4), uncertainty, 3);
            Assert.Equal(uncertainty > 0.5, p.GetProperty("review").GetBoolean());
        }
        int review = predictions.Count(p => p.GetProperty("review").GetBoolean());
        Assert.Contains($"{review} of {predictions.Count} prediction(s) have an uncertainty above 0.5", stdout);
        Assert.Equal(review, stdout.Split('\n').Count(l => l.StartsWith("  review  ", StringComparison.Ordinal)));
        var refused = Programs.Predict(
            Path.Combine(run.RunDirectory, "model.zip"),
            run.DataRoot,
            output + "2",
            "--abstain-above",
            "1.5"
        );
        Assert.Equal(1, refused.Exit);
        Assert.Contains("must be 0 to 1", refused.Stderr);
    }
}
