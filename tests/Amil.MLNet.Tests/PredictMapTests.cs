using System.Text.Json;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>predict reports every class's map of a class-aware model, a chosen class's map for every image, and the
/// map × p(class).</summary>
[Collection("trained")]
public sealed class PredictMapTests(TrainedRunFixture run) : IDisposable
{
    private readonly string _work = TestTemp.Folder("amil-predict-map-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private JsonElement[] Predict(string model, string data, string name, params string[] extra)
    {
        var output = Path.Combine(_work, name);
        var (exit, _, stderr) = Programs.Predict(model, data, output, extra);
        Assert.True(exit == 0, stderr);
        return JsonDocument
            .Parse(File.ReadAllText(Path.Combine(output, "predictions.json")))
            .RootElement.EnumerateArray()
            .ToArray();
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void AClassAwareModelReportsEveryClassesMapAndTheOneAskedFor()
    {
        var data = TestImages.ImageFolder(Path.Combine(_work, "data"), parts: ("", 4));
        var model = Path.Combine(_work, "run");
        string[] train = ["train", "--data", data, "--layout", "image-folder", "--crop", "none"];
        var (exit, _, stderr) = Programs.Amil([.. train, "--pooling", "additive", "--epochs", "1", "--out", model]);
        Assert.True(exit == 0, stderr);
        model = Path.Combine(model, "model.zip");

        var own = Predict(model, data, "own");
        var light = Predict(model, data, "light", "--map-class", "light");
        var weighted = Predict(model, data, "weighted", "--map-class", "light", "--weight-by-probability", "light");
        Assert.Equal(8, own.Length);
        for (int i = 0; i < own.Length; i++)
        {
            string predicted = own[i].GetProperty("predicted").GetString()!;
            float pLight = own[i].GetProperty("probabilities").GetProperty("light").GetSingle();
            Assert.Equal("contribution", own[i].GetProperty("map").GetString());
            Assert.Equal("contribution of light", light[i].GetProperty("map").GetString());
            Assert.Equal("contribution of light × p(light)", weighted[i].GetProperty("map").GetString());
            var patches = own[i].GetProperty("patches").EnumerateArray().ToArray();
            var lightPatches = light[i].GetProperty("patches").EnumerateArray().ToArray();
            var weightedPatches = weighted[i].GetProperty("patches").EnumerateArray().ToArray();
            Assert.NotEmpty(patches);
            for (int k = 0; k < patches.Length; k++)
            {
                var classes = patches[k].GetProperty("classes");
                Assert.Equal(2, classes.EnumerateObject().Count());
                Assert.Equal(classes.GetProperty(predicted).GetSingle(), patches[k].GetProperty("value").GetSingle());
                float lightValue = classes.GetProperty("light").GetSingle();
                Assert.Equal(lightValue, lightPatches[k].GetProperty("value").GetSingle());
                Assert.Equal(lightValue * pLight, weightedPatches[k].GetProperty("value").GetSingle(), 6);
            }
        }
    }

    [Fact]
    public void AClassMapOfAClassAgnosticModelOrAnUnknownClassIsAUserError()
    {
        string model = Path.Combine(run.RunDirectory, "model.zip");
        string image = run.SomeImages(1)[0];
        var output = Path.Combine(_work, "out");
        var (exit, _, stderr) = Programs.Predict(model, image, output, "--map-class", "malignant");
        Assert.Equal(1, exit);
        Assert.Contains("class-aware model", stderr);
        (exit, _, stderr) = Programs.Predict(model, image, output, "--weight-by-probability", "tumour");
        Assert.Equal(1, exit);
        Assert.Contains("'tumour' is not one of the model's classes (benign, malignant)", stderr);
        Assert.False(Directory.Exists(output));
        var attention = Predict(model, image, "weighted", "--weight-by-probability", "malignant");
        Assert.Equal("attention × p(malignant)", attention[0].GetProperty("map").GetString());
        Assert.False(attention[0].GetProperty("patches")[0].TryGetProperty("classes", out _));
    }
}
