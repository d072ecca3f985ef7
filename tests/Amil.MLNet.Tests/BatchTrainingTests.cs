using Amil.MLNet.Trainers;
using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Trainers.Training;
using Amil.MLNet.Transforms.Bagging;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Amil.MLNet.Tests;

/// <summary>Batches of bags (--batch-bags) and parallel decoding (--workers): the same losses, gradients and bag
/// order as the one-bag, one-thread loop.</summary>
public class BatchTrainingTests
{
    public enum Net
    {
        Attention,
        Gated,
        Additive,
        FeatureAttention,
        FeatureAdditive,
        Clam,
        Dsmil,
        TransMil,
    }

    private static NetworkSpec Spec(Net net)
    {
        bool features = net is Net.FeatureAttention or Net.FeatureAdditive;
        return new NetworkSpec(28, 40, 16, net == Net.Gated, 3)
        {
            Head = Heads
                .Find(
                    net switch
                    {
                        Net.Additive or Net.FeatureAdditive => "additive",
                        Net.Clam => "clam",
                        Net.Dsmil => "dsmil",
                        Net.TransMil => "transmil",
                        _ => "attention",
                    }
                )
                .SavedId,
            InstanceSamples = net == Net.Clam ? 2 : 0,
            ClassifierHidden = net == Net.Additive ? 16 : 0, // the MLP ψ on patches, the linear one on features
            Architecture = features ? NetworkArchitecture.FeatureAttentionMil : NetworkArchitecture.AttentionMil,
            FeatureSize = features ? 12 : 0,
            DropoutPercent = 0, // dropout draws different masks for a batch than for its bags one by one
            InputScale = 1,
        };
    }

    /// <summary>Bags of different sizes (so some are padded in a batch) and classes.</summary>
    private static List<LabelledBag> Bags(NetworkSpec spec, params int[] sizes)
    {
        var random = new Random(9);
        return sizes
            .Select(
                (n, i) =>
                {
                    var layout = new BagLayout(3, 28, 28, 1, n, 0, 0, 28 * n, 28);
                    int perPatch = spec.FeatureSize > 0 ? spec.FeatureSize : layout.PatchLength;
                    var values = Enumerable.Range(0, n * perPatch).Select(_ => (float)random.NextDouble()).ToArray();
                    return new LabelledBag(new DataViewRowId((ulong)i, 0), values, layout, i % 3);
                }
            )
            .ToList();
    }

    private static float[] Gradients(BagNetwork network) =>
        network.parameters().SelectMany(p => p.grad is null ? [] : p.grad.cpu().data<float>().ToArray()).ToArray();

    [Theory]
    [InlineData(Net.Attention)]
    [InlineData(Net.Gated)]
    [InlineData(Net.Additive)]
    [InlineData(Net.FeatureAttention)]
    [InlineData(Net.FeatureAdditive)]
    [InlineData(Net.Clam)]
    [InlineData(Net.Dsmil)]
    [InlineData(Net.TransMil)]
    public void ABatchHasTheOneBagLossesAndTheirMeanGradient(Net net)
    {
        var spec = Spec(net);
        using var network = TorchSeeding.Seeded(3, () => BagNetwork.Create(spec));
        network.train();
        var bags = Bags(spec, 5, 9, 4, 9);
        using var classWeights = tensor(new[] { 1.0f, 2.0f, 0.5f });
        using var bagWeight = 0.7.ToScalar();
        using var instanceWeight = 0.3.ToScalar();
        var lossWeights = (bagWeight, instanceWeight);

        var oneByOne = new float[bags.Count];
        var summed = new double[Gradients(network).Length];
        foreach (var (bag, i) in bags.Select((b, i) => (b, i)))
        {
            using var scope = NewDisposeScope();
            network.zero_grad();
            var (loss, _) = TrainingLoop.BagLoss(network, bag, classWeights, lossWeights, training: true);
            oneByOne[i] = loss.item<float>();
            loss.backward();
            var g = Gradients(network);
            if (i == 0)
                summed = new double[g.Length];
            for (int k = 0; k < g.Length; k++)
                summed[k] += g[k];
        }

        float[] batched;
        float[] batchGradients;
        using (var scope = NewDisposeScope())
        {
            network.zero_grad();
            var (losses, logits) = TrainingLoop.BatchLosses(network, bags, classWeights, lossWeights, training: true);
            Assert.Equal([4L, 3L], logits.shape);
            batched = losses.detach().data<float>().ToArray();
            losses.mean().backward();
            batchGradients = Gradients(network);
        }

        Assert.Equal(bags.Count, batched.Length);
        for (int i = 0; i < bags.Count; i++)
            Assert.Equal(oneByOne[i], batched[i], 1e-5 * (1 + Math.Abs(oneByOne[i])));
        Assert.Equal(summed.Length, batchGradients.Length);
        Assert.True(summed.Any(v => v != 0), "the one-bag loop produced no gradient");
        double scale = summed.Max(Math.Abs) / bags.Count;
        for (int k = 0; k < summed.Length; k++)
            Assert.True(
                Math.Abs(summed[k] / bags.Count - batchGradients[k]) <= 1e-5 * (1 + scale),
                $"gradient {k}: one bag at a time {summed[k] / bags.Count}, batched {batchGradients[k]}"
            );
    }

    [Fact]
    public void TheRawBenchmarkStepsTheSameBatchesAgain()
    {
        // Each batch is packed once and stepped in every pass: a packed tensor freed with its first step's scope
        // would make a later pass fail or read other values. 4 bags in batches of 2: 2 steps a pass, 2 logits a bag.
        var result = Trainers.Diagnostics.NetworkBenchmark.Run(bags: 4, patches: 6, passes: 2, batchBags: 2);
        Assert.True(result.TrainBagsPerSecond > 0 && result.InferenceBagsPerSecond > 0);
        Assert.Equal([2, 2], result.TrainStepsPerPass);
        Assert.Equal(4 * 2, result.WarmUpLogits.Length);
        Assert.All(result.WarmUpLogits, v => Assert.True(float.IsFinite(v)));
        // Evaluation on the CPU is deterministic: the same intact batches give the same logits after the timed passes.
        Assert.Equal(result.WarmUpLogits, result.LastLogits);
    }

    [Fact]
    public void PaddingNeverChangesABagsPrediction()
    {
        // The same bag alone and next to a longer one (so it is padded): the same logits.
        var spec = Spec(Net.Gated);
        using var network = TorchSeeding.Seeded(5, () => BagNetwork.Create(spec));
        network.eval();
        using var _ = no_grad();
        var bags = Bags(spec, 3, 11);
        var alone = network.Logits(
            tensor(bags[0].Pixels, network.InputShape(bags[0].Layout, bags[0].Pixels.Length)),
            bags[0].Layout
        );
        using var batch = new BagBatch(
            bags.Select(b => tensor(b.Pixels, network.InputShape(b.Layout, b.Pixels.Length))).ToList(),
            bags.Select(b => b.Layout).ToList()
        );
        var (padded, valid) = batch.Pad(zeros(14, 2));
        Assert.Equal([2L, 11L, 2L], padded.shape);
        Assert.Equal([true, true, true, false], valid!.data<bool>().ToArray()[..4]);
        var together = network.Logits(batch);
        var a = alone.data<float>().ToArray();
        var t = together[0].data<float>().ToArray();
        for (int c = 0; c < 3; c++)
            Assert.Equal(a[c], t[c], 1e-5);
    }

    private static (MLContext Ml, IDataView Data) ImageData(bool shuffleable)
    {
        var root = TestImages.ImageFolder(TestTemp.Folder("workers").FullName, 84, 56, ("", 10));
        var ml = new MLContext(1);
        // A cached view can shuffle itself (ML.NET's own order); one from an enumerable cannot (our chunked order).
        var loaded = ml.Data.LoadFromEnumerable(TestImages.Rows(root));
        var rows = shuffleable ? ml.Data.Cache(loaded) : loaded;
        var pipeline = ml
            .Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.BagPatches(new PatchBaggingOptions { CropHeight = null, CropWidth = null }));
        return (ml, pipeline.Fit(rows).Transform(rows));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SeveralWorkersReadTheSameBagsInTheSameOrder(bool shuffleable)
    {
        var (_, data) = ImageData(shuffleable);
        Assert.Equal(shuffleable, data.CanShuffle);
        var reader = new BagReader(data, "Bag", "Label", null);
        var rows = reader.ListRows();
        Assert.Equal(20, rows.Count);
        var some = rows.Where((_, i) => i % 4 != 1).Select(r => r.RowId).ToHashSet();

        foreach (var (include, seed) in new[] { (some, (int?)7), (null, 7), (some, null) })
        {
            var one = reader.Read(include, seed is { } s ? new Random(s) : null, 4, workers: 1).ToList();
            var three = reader.Read(include, seed is { } t ? new Random(t) : null, 4, workers: 3).ToList();
            Assert.Equal(include?.Count ?? 20, one.Count);
            Assert.Equal(one.Select(b => b.RowId), three.Select(b => b.RowId));
            Assert.Equal(one.Select(b => b.ClassIndex), three.Select(b => b.ClassIndex));
            Assert.All(one.Zip(three), pair => Assert.Equal(pair.First.Pixels, pair.Second.Pixels));
            if (seed is not null)
                Assert.NotEqual(one.Select(b => b.RowId).Order(), one.Select(b => b.RowId));
        }
    }

    [Fact]
    public void TheTrainerStepsBatchesAndWorkersDoNotChangeTheModel()
    {
        var (ml, data) = ImageData(shuffleable: false);
        // Every epoch's training and validation loss, to the last bit: a different step shows in them.
        double[] Train(int batchBags, int workers)
        {
            var trainer = ml.MulticlassClassification.Trainers.AttentionMil(
                new AttentionMilOptions
                {
                    MaxEpochs = 2,
                    Seed = 2,
                    EmbeddingSize = 32,
                    AttentionSize = 8,
                    BatchBags = batchBags,
                    ReadWorkers = workers,
                }
            );
            var model = trainer.Fit(data);
            return model.History.SelectMany(h => new[] { h.TrainLoss, h.ValidationLoss!.Value }).ToArray();
        }
        var oneBag = Train(1, 1);
        Assert.Equal(oneBag, Train(1, 3)); // workers change nothing, bit for bit
        var batched = Train(4, 2);
        Assert.Equal(batched, Train(4, 1));
        Assert.NotEqual(oneBag, batched); // fewer, larger steps: another model
        Assert.Throws<ArgumentException>(() =>
            ml.MulticlassClassification.Trainers.AttentionMil(new AttentionMilOptions { BatchBags = 0 }).Fit(data)
        );
    }
}
