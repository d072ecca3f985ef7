using System.Diagnostics;
using System.Text.Json;
using Amil.MLNet.Application;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace Amil.MLNet.Tests;

[Collection("trained")]
public class AttentionMilModelTests(TrainedRunFixture run)
{
    [Fact]
    public void RunFolderHoldsModelMetricsAndSplit()
    {
        foreach (var file in new[] { "model.zip", "metrics.json", "split.json", "history.csv", "config.json" })
            Assert.True(File.Exists(Path.Combine(run.RunDirectory, file)), file);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.RunDirectory, "metrics.json")));
        var root = metrics.RootElement;
        Assert.Equal(["benign", "malignant"], root.GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
        foreach (
            var key in new[]
            {
                "accuracy",
                "macro_accuracy",
                "macro_f1",
                "log_loss",
                "auc",
                "confusion_matrix",
                "patient_accuracy",
            }
        )
            Assert.True(root.GetProperty("test").TryGetProperty(key, out _), key);
        Assert.True(root.GetProperty("validation").TryGetProperty("accuracy", out _));
        Assert.InRange(root.GetProperty("best_epoch").GetInt32(), 1, 8);
        Assert.True(root.GetProperty("epochs_run").GetInt32() >= 1);
        Assert.True(root.GetProperty("train_seconds").GetDouble() > 0);
    }

    [Fact]
    public void ShortTrainingBeatsChanceClearly()
    {
        var test = run.Result.Metrics.Test!;
        Assert.True(test.Images >= 10);
        Assert.True(test.Accuracy >= 0.75, $"test accuracy {test.Accuracy}, AUC {test.Auc}");
        Assert.True(test.Auc >= 0.75, $"test AUC {test.Auc}");
    }

    [Fact]
    public void SplitKeepsEachPatientOnOneSide()
    {
        using var split = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.RunDirectory, "split.json")));
        HashSet<string> Patients(string part) =>
            split
                .RootElement.GetProperty(part)
                .EnumerateArray()
                .Select(r => r.GetProperty("patient").GetString()!)
                .ToHashSet();
        var train = Patients("train");
        var validation = Patients("validation");
        var test = Patients("test");
        Assert.Empty(train.Intersect(test));
        Assert.Empty(train.Intersect(validation));
        Assert.Empty(validation.Intersect(test));
        Assert.Equal("patient", split.RootElement.GetProperty("grouped_by").GetString());
    }

    [Fact]
    public void OutputsAreAProbabilityVectorAndAnAttentionDistribution()
    {
        var scored = run.Model.Score(run.SomeImages(3)).ToList();
        foreach (var s in scored)
        {
            Assert.Equal(2, s.Probabilities.Length);
            Assert.Equal(1.0, s.Probabilities.Sum(), 5);
            Assert.Equal(64, s.Map.Length);
            Assert.Equal(1.0, s.Map.Sum(), 4);
            Assert.All(s.Map, a => Assert.InRange(a, 0f, 1f));
            Assert.Equal(128, s.Coordinates.Length);
        }
    }

    [Fact]
    public void MlNetEvaluatorAcceptsOurColumns()
    {
        var ml = new MLContext(1);
        var images = run.SomeImages(6);
        var rows = images
            .Select(p => new ImageRow { ImagePath = p, Label = p.Contains("/malignant/") ? "malignant" : "benign" })
            .ToList();
        var keyData = ml.Data.LoadFromEnumerable(
            new[]
            {
                new ImageRow { Label = "benign" },
                new ImageRow { Label = "malignant" },
            }
        );
        var labelled = ml
            .Transforms.Conversion.MapValueToKey(
                "Label",
                keyData: ml.Transforms.SelectColumns("Label").Fit(keyData).Transform(keyData)
            )
            .Fit(ml.Data.LoadFromEnumerable(rows))
            .Transform(ml.Data.LoadFromEnumerable(rows));
        var scored = run.Model.Transformer.Transform(labelled);
        Assert.Equal(2, ((VectorDataViewType)scored.Schema["Score"].Type).Size);
        Assert.IsType<KeyDataViewType>(scored.Schema["PredictedLabel"].Type);
        var metrics = ml.MulticlassClassification.Evaluate(scored, "Label", "Score", "PredictedLabel");
        Assert.InRange(metrics.MicroAccuracy, 0, 1);
        Assert.Equal(6, metrics.ConfusionMatrix.Counts.Sum(r => r.Sum()));
        // Score's slots are named by class, so ML.NET's confusion table speaks of benign and malignant.
        var table = metrics.ConfusionMatrix.GetFormattedConfusionTable();
        Assert.Contains("benign", table);
        Assert.Contains("malignant", table);
        Assert.DoesNotContain("__Amil", table);
    }

    [Fact]
    public void PredictWritesPathsProbabilitiesAndPatches()
    {
        var output = Path.Combine(run.Directory, "predict");
        var image = run.SomeImages(1)[0];
        PredictJob.Run(Path.Combine(run.RunDirectory, "model.zip"), image, output, _ => { });
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "predictions.json")));
        var p = doc.RootElement[0];
        Assert.Equal(image, p.GetProperty("path").GetString());
        Assert.Contains(p.GetProperty("predicted").GetString(), new[] { "benign", "malignant" });
        Assert.Equal(2, p.GetProperty("probabilities").EnumerateObject().Count());
        var patch = p.GetProperty("patches")[0];
        Assert.Equal(28, patch.GetProperty("width").GetInt32());
        Assert.Equal(28, patch.GetProperty("height").GetInt32());
        Assert.Equal(64, p.GetProperty("patches").GetArrayLength());
    }

    [Fact]
    public void SampleAppInANewProcessGivesBitIdenticalScoreAndAttention()
    {
        var model = Path.Combine(run.RunDirectory, "model.zip");
        foreach (var image in run.SomeImages(2))
        {
            var expected = run.Model.Score([image]).Single();
            var json = Programs.RunSample(model, image);
            using var doc = JsonDocument.Parse(json);
            var probabilities = doc.RootElement.GetProperty("probabilities");
            for (int c = 0; c < run.Model.ClassNames.Count; c++)
                Assert.Equal(
                    BitConverter.SingleToInt32Bits(expected.Probabilities[c]),
                    BitConverter.SingleToInt32Bits(probabilities.GetProperty(run.Model.ClassNames[c]).GetSingle())
                );
            var attention = doc
                .RootElement.GetProperty("map")
                .EnumerateArray()
                .Select(a => BitConverter.SingleToInt32Bits(a.GetSingle()))
                .ToArray();
            Assert.Equal(expected.Map.Select(BitConverter.SingleToInt32Bits).ToArray(), attention);
            Assert.Equal("attention", doc.RootElement.GetProperty("map_kind").GetString());
        }
    }

    [Fact]
    public void LoadingSomethingElseIsAClearError()
    {
        var bogus = Path.Combine(run.Directory, "not-a-model.zip");
        File.WriteAllText(bogus, "hello");
        Assert.Contains("not-a-model.zip", Assert.Throws<InvalidDataException>(() => AmilModel.Load(bogus)).Message);
        Assert.Contains(
            "not found",
            Assert
                .Throws<FileNotFoundException>(() => AmilModel.Load(Path.Combine(run.Directory, "missing.zip")))
                .Message
        );
    }
}
