using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Trainers;
using Amil.MLNet.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;
using Xunit.Abstractions;

namespace Amil.MLNet.Tests;

public class SmokeTests(ITestOutputHelper output)
{
    public sealed class Row { public string ImagePath { get; set; } = ""; public string Label { get; set; } = ""; }

    [Fact]
    public void TrainSaveLoad()
    {
        var root = Path.Combine(Path.GetTempPath(), "amil-smoke");
        var paths = SyntheticHistology.Generate(root, new SyntheticOptions(SyntheticKind.BreakHis, 12, 3));
        var rows = paths.Select(p => new Row { ImagePath = Path.Combine(root, p), Label = p.Contains("malignant") ? "malignant" : "benign" }).ToList();
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(rows);
        output.WriteLine($"CanShuffle {data.CanShuffle}");
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.BagPatches())
            .Append(ml.MulticlassClassification.Trainers.AttentionMil(new AttentionMilOptions { MaxEpochs = 2, OnEpochEnd = r => output.WriteLine(r.ToString()) }));
        var model = pipeline.Fit(data);
        var scored = model.Transform(data);
        output.WriteLine(scored.Schema.ToString());
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        output.WriteLine($"acc {metrics.MacroAccuracy}");
        ml.Model.Save(model, data.Schema, Path.Combine(root, "model.zip"));
        var ml2 = new MLContext().RegisterAmilComponents();
        var loaded = ml2.Model.Load(Path.Combine(root, "model.zip"), out var schema);
        var scored2 = loaded.Transform(data);
        var a = scored.GetColumn<float[]>("Score").ToList();
        var b = scored2.GetColumn<float[]>("Score").ToList();
        for (int i = 0; i < a.Count; i++) Assert.Equal(a[i], b[i]);
    }
}
