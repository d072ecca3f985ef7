using Amil.MLNet.Application;
using Amil.MLNet.Trainers;
using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Trainers.Training;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Amil.MLNet.Tests;

/// <summary>
/// Training on TorchSharp's Adam can die at random with "Expected false to be true … toFloat": it passes implicit
/// Scalars that a finalizer can free during the native call. A thread forcing full collections makes that window
/// likely; these trainings must survive it.
/// </summary>
public class TrainingStressTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public void ShortTrainingsOnSmallBagsSurviveForcedCollections()
    {
        var root = TestTemp.Folder("amil-stress-").FullName;
        try
        {
            var rows = TestImages.Rows(TestImages.ImageFolder(root, parts: ("", 12)));
            using var hammer = new CollectionHammer();
            for (int run = 0; run < 4; run++)
            {
                var ml = new MLContext(run);
                var data = ml.Data.LoadFromEnumerable(rows);
                var pipeline = ml
                    .Transforms.Conversion.MapValueToKey("Label")
                    .Append(ml.Transforms.BagPatches(new PatchBaggingOptions { CropHeight = null, CropWidth = null }))
                    .Append(
                        ml.MulticlassClassification.Trainers.AttentionMil(
                            new AttentionMilOptions
                            {
                                MaxEpochs = 3,
                                Seed = run,
                                ValidationFraction = 0,
                                Architecture =
                                    run == 3 ? NetworkArchitecture.CnnBaseline : NetworkArchitecture.AttentionMil,
                            }
                        )
                    );
                var model = pipeline.Fit(data);
                Assert.NotEmpty(model.LastTransformer.History);
                // Scoring (attention or Grad-CAM) runs under the same pressure.
                var scores = model.Transform(data).GetColumn<float[]>("Score").ToList();
                Assert.All(scores, s => Assert.Equal(1.0, s.Sum(), 4));
            }
            Assert.True(hammer.Collections > 20, $"only {hammer.Collections} forced collections ran");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void AdamStateRoundTripsAndRejectsAnotherNetwork()
    {
        var spec = new NetworkSpec(28, 20, 8, false, 2);
        using var network = TorchSeeding.Seeded(1, () => BagNetwork.Create(spec));
        using var adam = new AdamOptimizer(network.parameters(), 1e-3);
        var layout = new BagLayout(3, 28, 28, 1, 3, 0, 0, 84, 28);
        using (var scope = NewDisposeScope())
        {
            using var noise = new torch.Generator(1);
            var pixels = torch.rand(3, 3, 28, 28, generator: noise);
            F.cross_entropy(network.Logits(pixels, layout), tensor(new[] { 1L })).backward();
            adam.Step();
        }
        var state = adam.SaveState();
        using var copy = new AdamOptimizer(network.parameters(), 1e-3);
        copy.LoadState(state);
        Assert.Equal(state, copy.SaveState());

        using var other = TorchSeeding.Seeded(1, () => BagNetwork.Create(spec with { EmbeddingSize = 30 }));
        using var otherAdam = new AdamOptimizer(other.parameters(), 1e-3);
        Assert.Throws<InvalidDataException>(() => otherAdam.LoadState(state));
        Assert.Throws<InvalidDataException>(() => copy.LoadState(state[..^5]));
    }

    /// <summary>Forces full collections and finalizers on a background thread until disposed.</summary>
    private sealed class CollectionHammer : IDisposable
    {
        private readonly CancellationTokenSource stop = new();
        private readonly Thread thread;
        public int Collections;

        public CollectionHammer()
        {
            thread = new Thread(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    Interlocked.Increment(ref Collections);
                }
            })
            {
                IsBackground = true,
            };
            thread.Start();
        }

        public void Dispose()
        {
            stop.Cancel();
            thread.Join();
            stop.Dispose();
        }
    }
}
