using System.Text.Json;
using Amil.MLNet.Application.Jobs;
using Amil.MLNet.Data.Datasets;
using Xunit;
using static Amil.MLNet.Application.Jobs.PredictJob;

namespace Amil.MLNet.Tests;

/// <summary>predict --ensemble: models' calibrated probabilities averaged, the total uncertainty split off the
/// models' disagreement (mutual information), maps averaged on a shared patch grid.</summary>
[Collection("trained")]
public sealed class EnsembleTests(TrainedRunFixture run)
{
    private static Prediction Of(string path, float benign, params (int X, float Value)[] patches) =>
        new(
            path,
            benign >= 0.5f ? "benign" : "malignant",
            new Dictionary<string, float> { ["benign"] = benign, ["malignant"] = 1 - benign },
            "attention",
            [.. patches.Select(p => new PatchValue(p.X, 0, 28, 28, p.Value))]
        );

    [Fact]
    public void DisagreementIsTheUncertaintyTheModelsDoNotShare()
    {
        var skipped = new List<SkippedImage>();
        var combined = EnsemblePredictions.Combine(
            [
                [Of("a.png", 0.9f, (0, 0.2f), (28, 0.8f)), Of("b.png", 0.5f, (0, 1f)), Of("c.png", 0.7f)],
                [Of("a.png", 0.1f, (0, 0.4f), (28, 0.6f)), Of("b.png", 0.5f, (56, 1f))],
            ],
            skipped
        );

        Assert.Equal(["a.png", "b.png"], combined.Select(p => p.Path));
        Assert.Equal("c.png", Assert.Single(skipped).Path); // not scored by the second model
        var a = combined[0];
        Assert.Equal(0.5f, a.Probabilities["benign"], 6);
        // H(0.5, 0.5) / ln 2 = 1; each model's H(0.9, 0.1) / ln 2 = 0.4690; the difference is their disagreement.
        Assert.Equal(1.0, a.Uncertainty, 4);
        Assert.Equal(0.531, a.Disagreement!.Value, 3);
        Assert.Equal(2, a.Models);
        Assert.Equal([0.3f, 0.7f], a.Patches.Select(p => (float)Math.Round(p.Value, 5)));
        Assert.StartsWith("mean of 2 models'", a.Map);
        // Models that agree: no disagreement, however unsure; patches cut differently: the first model's map.
        Assert.Equal((1.0, 0.0), (combined[1].Uncertainty, combined[1].Disagreement!.Value));
        Assert.Equal(0, Assert.Single(combined[1].Patches).X);
        Assert.Contains("first of 2 models", combined[1].Map);
    }

    [Fact]
    public void AnEnsembleOfOneModelTwiceGivesItsOwnPredictions()
    {
        var model = Path.Combine(run.RunDirectory, "model.zip");
        var folder = TestTemp.Folder("ensemble").FullName;
        var input = Path.Combine(folder, "in");
        Directory.CreateDirectory(input);
        foreach (var image in run.SomeImages(3))
            File.Copy(image, Path.Combine(input, Path.GetFileName(image)));

        var single = PredictJob.Run(model, input, Path.Combine(folder, "one"), _ => { });
        var log = new List<string>();
        var doubled = PredictJob.Run(model, input, Path.Combine(folder, "two"), log.Add, new() { Ensemble = [model] });

        Assert.Contains(log, l => l.Contains("Averaging 2 models"));
        Assert.Equal(single.Select(p => p.Predicted), doubled.Select(p => p.Predicted));
        foreach (var (one, two) in single.Zip(doubled))
        {
            Assert.Equal(one.Probabilities["malignant"], two.Probabilities["malignant"], 5);
            Assert.Equal(0, two.Disagreement!.Value, 4);
        }
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "two", "predictions.json")));
        Assert.Equal(2, json.RootElement[0].GetProperty("models").GetInt32());
    }
}
