using Amil.MLNet.Trainers;
using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Trainers.Scoring;
using Microsoft.ML;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Amil.MLNet.Tests;

/// <summary>Dropout masks come from each training's own generator: "same seed, same model" holds while other
/// trainings, or anything else, draw from libtorch's global generator in the same process.</summary>
public sealed class SeededDropoutTests : IDisposable
{
    private readonly string _work = TestTemp.Folder("amil-dropout-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void MasksAreLibtorchDropoutsForTheSameGeneratorState()
    {
        // Inside the seeding lock: nothing else may draw from the global generator between the two draws.
        var (expected, actual) = TorchSeeding.Seeded(
            7,
            () =>
            {
                using var input = ones(64, 50);
                using var state = random.get_rng_state();
                using var libtorch = nn.Dropout(0.25);
                libtorch.train();
                var fromLibtorch = libtorch.forward(input).data<float>().ToArray();

                using var generator = new torch.Generator();
                generator.set_state(state);
                using var ours = new SeededDropout(0.25) { Generator = generator };
                ours.train();
                var fromOurs = ours.forward(input).data<float>().ToArray();
                return (fromLibtorch, fromOurs);
            }
        );
        Assert.Equal(expected, actual);
        Assert.Contains(0f, actual);
        Assert.Contains(1f / 0.75f, actual);
    }

    [Fact]
    public void ScoringIsUntouchedAndZeroDropoutKeepsEveryValue()
    {
        using var input = arange(12f).reshape(3, 4);
        using var dropout = new SeededDropout(0.5);
        dropout.eval();
        using var scored = dropout.forward(input);
        Assert.Equal(input.data<float>().ToArray(), scored.data<float>().ToArray());
        using var none = new SeededDropout(0);
        none.train();
        using var kept = none.forward(input);
        Assert.Equal(input.data<float>().ToArray(), kept.data<float>().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SeededDropout(1));
    }

    [Fact]
    public async Task TrainingsSideBySideGiveTheModelOfATrainingAlone()
    {
        var rows = TestImages.Rows(TestImages.ImageFolder(Path.Combine(_work, "data"), 112, 84, ("", 3)));
        var alone = Train(rows);
        using var stop = new CancellationTokenSource();
        // Something else keeps drawing from the global generator meanwhile (under the seeding lock, as the library's
        // own draws do: initial weights are drawn from the global generator, so an unlocked draw could still land
        // between a training's seeding and its weights).
        var noise = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                TorchSeeding.Seeded(1, () => rand(1000)).Dispose();
                Thread.Sleep(1);
            }
        });
        var together = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => Train(rows))));
        stop.Cancel();
        await noise;
        Assert.All(together, losses => Assert.Equal(alone, losses));
    }

    [Fact]
    public async Task ModelsLoadedDuringATrainingLeaveItsModelAlone()
    {
        var rows = TestImages.Rows(TestImages.ImageFolder(Path.Combine(_work, "data"), 112, 84, ("", 3)));
        var alone = Train(rows);
        // A loaded network is built (its constructors draw initial weights from the global generator) and then
        // given the model's weights; every build here is a new model, so none comes from the cache.
        var spec = new NetworkSpec(28, 50, 16, false, 2);
        using var template = TorchSeeding.Seeded(1, () => BagNetwork.Create(spec));
        var weights = template.ExportWeights();
        using var stop = new CancellationTokenSource();
        var loads = Task.Run(() =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                weights[0] = i;
                NetworkCache.Use(NetworkState.Encode(spec, weights), network => network.Spec);
            }
        });
        var together = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() => Train(rows))));
        stop.Cancel();
        await loads;
        Assert.All(together, losses => Assert.Equal(alone, losses));
    }

    private static double[] Train(List<ImageRow> rows)
    {
        var ml = new MLContext(5);
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = new AttentionMilOptions
        {
            Architecture = NetworkArchitecture.CnnBaseline, // dropout 0.5 twice: many draws per step
            MaxEpochs = 2,
            ValidationFraction = 0,
        };
        var bagging = new Transforms.Bagging.PatchBaggingOptions { CropHeight = null, CropWidth = null };
        var model = ml
            .Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.BagPatches(bagging))
            .Append(ml.MulticlassClassification.Trainers.AttentionMil(options))
            .Fit(data);
        return model.LastTransformer.History.Select(h => h.TrainLoss).ToArray();
    }
}
