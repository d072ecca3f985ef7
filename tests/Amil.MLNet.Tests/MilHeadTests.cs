using System.Text.Json;
using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Trainers.Scoring;
using Amil.MLNet.Trainers.Training;
using Amil.MLNet.Transforms.Bagging;
using Microsoft.ML;
using Xunit;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Amil.MLNet.Tests;

/// <summary>The class-aware MIL heads: Additive MIL and CLAM multi-branch, on patches and on features.</summary>
public class MilHeadTests
{
    private static NetworkSpec Spec(string head, bool features, int classes = 3, int additiveHidden = 16) =>
        new(28, 40, 16, false, classes)
        {
            Head = Heads.Find(head).SavedId,
            InstanceSamples = head == "clam" ? 3 : 0,
            ClassifierHidden = head == "additive" ? additiveHidden : 0,
            Architecture = features ? NetworkArchitecture.FeatureAttentionMil : NetworkArchitecture.AttentionMil,
            FeatureSize = features ? 12 : 0,
            InputScale = 1,
        };

    private static (float[] Values, BagLayout Layout) RandomBag(NetworkSpec spec, int patches, int seed)
    {
        var layout = new BagLayout(3, 28, 28, 1, patches, 0, 0, 28 * patches, 28);
        int perPatch = spec.FeatureSize > 0 ? spec.FeatureSize : layout.PatchLength;
        var random = new Random(seed);
        return (Enumerable.Range(0, patches * perPatch).Select(_ => (float)random.NextDouble()).ToArray(), layout);
    }

    [Theory]
    [InlineData("additive", false)]
    [InlineData("additive", true)]
    [InlineData("clam", false)]
    [InlineData("clam", true)]
    [InlineData("dsmil", false)]
    [InlineData("dsmil", true)]
    public void PermutingPatchesPermutesTheMapAndKeepsTheProbabilities(string head, bool features)
    {
        var spec = Spec(head, features);
        using var network = TorchSeeding.Seeded(4, () => BagNetwork.Create(spec));
        network.eval();
        var (values, layout) = RandomBag(spec, 7, 1);
        int perPatch = values.Length / 7;
        var permutation = new[] { 3, 0, 6, 1, 5, 2, 4 };
        var permuted = permutation.SelectMany(p => values.Skip(p * perPatch).Take(perPatch)).ToArray();

        var (p1, m1) = BagScorer.Score(network, values, layout);
        var (p2, m2) = BagScorer.Score(network, permuted, layout);
        Assert.Equal(3, p1.Length);
        Assert.Equal(7, m1.Length);
        Assert.Equal(1.0, p1.Sum(), 5);
        for (int c = 0; c < 3; c++)
            Assert.Equal(p1[c], p2[c], 1e-5);
        for (int i = 0; i < 7; i++)
            Assert.Equal(m1[permutation[i]], m2[i], 1e-5);
        if (head == "clam")
            Assert.Equal(1.0, m1.Sum(), 4); // one attention branch
    }

    [Fact]
    public void DsmilAveragesItsMaxInstanceAndCriticalAttentionBranchesAndMapsInstanceScores()
    {
        var spec = Spec("dsmil", features: true);
        using var network = (DsmilNetwork)TorchSeeding.Seeded(6, () => BagNetwork.Create(spec));
        network.eval();
        var (values, layout) = RandomBag(spec, 9, 3);
        using var input = TorchSharp.torch.tensor(values, network.InputShape(layout, values.Length));
        var (bagLogits, instanceLogits, scores) = network.forward(input);
        var s = scores.data<float>().ToArray(); // C × N
        var inst = instanceLogits.data<float>().ToArray();
        var bag = bagLogits.data<float>().ToArray();
        for (int c = 0; c < 3; c++)
            Assert.Equal(s.Skip(c * 9).Take(9).Max(), inst[c], 5); // the max-pooled instance branch
        var (p, map, classMaps) = network.ExplainAll(input, layout);
        var mean = bag.Zip(inst, (a, b) => (a + b) / 2).ToArray();
        var expected = mean.Select(v => Math.Exp(v - mean.Max())).ToArray();
        for (int c = 0; c < 3; c++)
            Assert.Equal(expected[c] / expected.Sum(), p[c], 5); // softmax of the two branches' mean
        Assert.Equal(s, classMaps);
        int predicted = Array.IndexOf(p, p.Max());
        Assert.Equal(s.Skip(predicted * 9).Take(9), map);
        Assert.Equal(MapKind.InstanceScore, spec.Map());
        // Training adds the max-instance cross-entropy to the bag branch's.
        network.train();
        var (logits, instanceLoss) = network.TrainingForward(input, layout, 1);
        Assert.NotNull(instanceLoss);
        Assert.True(instanceLoss!.item<float>() > 0);
        Assert.Equal(new long[] { 1, 3 }, logits.shape);
    }

    [Theory]
    [InlineData(16)] // ψ an MLP, as Javed et al.
    [InlineData(0)] // ψ linear, as saved specs without a hidden size decode
    public void AdditiveContributionsSumExactlyToTheLogits(int hidden)
    {
        var spec = Spec("additive", features: false, additiveHidden: hidden);
        using var network = (AdditiveMilNetwork)TorchSeeding.Seeded(2, () => BagNetwork.Create(spec));
        network.eval();
        var (values, layout) = RandomBag(spec, 9, 3);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (logits, contributions, bias) = network.forward(tensor(values, network.InputShape(layout, values.Length)));
        Assert.Equal([9L, 3L], contributions.shape);
        var sum = contributions.sum(0, keepdim: false).data<float>().ToArray();
        var b = bias.data<float>().ToArray();
        var l = logits.squeeze(0).data<float>().ToArray();
        for (int c = 0; c < 3; c++)
            Assert.Equal(l[c], sum[c] + b[c], 5);
        if (hidden > 0) // every bias lives inside the patches' contributions
            Assert.All(b, v => Assert.Equal(0f, v));
        // The map is the predicted class's column of the decomposition.
        var (probabilities, map) = network.Explain(tensor(values, network.InputShape(layout, values.Length)), layout);
        int predicted = BagScorer.ArgMax(probabilities);
        Assert.Equal(contributions[.., predicted].data<float>().ToArray(), map);
    }

    [Fact]
    public void TheAdditiveClassifierSizeIsSavedAndOlderModelsReadAsLinear()
    {
        var spec = Spec("additive", features: false, additiveHidden: 16);
        float[] weights = [1, 2, 3];
        var blob = NetworkState.Encode(spec, weights);
        var (decoded, _, read) = NetworkState.Decode(blob);
        Assert.Equal(spec, decoded);
        Assert.Equal(weights, read.ToArray());
        // A state written before the field existed (format 4: 13 spec values by position) reads with a linear ψ.
        var (old, _, oldWeights) = NetworkState.Decode(Positional(spec, 4, 13, weights));
        Assert.Equal(spec with { ClassifierHidden = 0 }, old);
        Assert.Equal(weights, oldWeights.ToArray());
    }

    /// <summary>A network state as versions 1–5 wrote it: the spec's first values by position, then the id and the
    /// weights.</summary>
    internal static float[] Positional(NetworkSpec spec, int version, int specValues, float[] weights)
    {
        float[] values =
        [
            spec.PatchSize,
            spec.EmbeddingSize,
            spec.AttentionSize,
            spec.Gated ? 1 : 0,
            spec.Classes,
            (int)spec.Architecture,
            spec.Rows,
            spec.Cols,
            spec.InputScale,
            spec.FeatureSize,
            spec.DropoutPercent,
            (int)spec.Head,
            spec.InstanceSamples,
            spec.ClassifierHidden,
        ];
        ulong id = NetworkState.Hash(weights);
        float[] idValues = [.. Enumerable.Range(0, 4).Select(i => (float)((id >> (16 * i)) & 0xFFFF))];
        return Transforms.Persistence.StateBlob.Create(
            Transforms.Persistence.StateKind.AttentionMilNetwork,
            version,
            [.. values[..specValues], .. idValues, .. weights]
        );
    }

    [Fact]
    public void TheSpecIsSavedByKeyAndEveryPositionalFormatStillReads()
    {
        var spec = Spec("clam", features: true) with { DropoutPercent = 25 };
        float[] weights = [0.5f, -1, 2];
        // By key: the pairs may come in any order; a reader takes each by its name.
        var keyed = spec.Encode();
        Assert.Equal(-1, keyed[0]);
        var pairs = Enumerable.Range(0, (int)keyed[1]).Select(i => (keyed[2 + 2 * i], keyed[3 + 2 * i])).Reverse();
        float[] shuffled = [keyed[0], keyed[1], .. pairs.SelectMany(p => new[] { p.Item1, p.Item2 })];
        Assert.Equal(spec, NetworkSpec.Decode(shuffled));
        // Without the fields added later, they take their defaults.
        float[] shorter = [-1, 5, .. keyed[2..12]];
        Assert.Equal(
            new NetworkSpec(spec.PatchSize, spec.EmbeddingSize, spec.AttentionSize, spec.Gated, spec.Classes)
            {
                InputScale = 1,
            },
            NetworkSpec.Decode(shorter)
        );
        // A key this version does not know is a newer file: refused, not misread.
        float[] newer = [-1, keyed[1] + 1, .. keyed[2..], NetworkSpec.Key("a_later_field"), 3];
        var refused = Assert.Throws<InvalidDataException>(() => NetworkSpec.Decode(newer));
        Assert.Contains("newer version", refused.Message);
        // Versions 1–5 by position: the same network, its later fields at their defaults.
        foreach (var (version, length) in new[] { (5, 14), (4, 13), (3, 11), (2, 9), (1, 5) })
        {
            var (old, id, read) = NetworkState.Decode(Positional(spec, version, length, weights));
            var expected = NetworkSpec.Decode([-1, length, .. keyed[2..(2 + 2 * length)]]);
            Assert.Equal(expected, old);
            Assert.Equal(NetworkState.Hash(weights), id);
            Assert.Equal(weights, read.ToArray());
        }
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(64, 1)]
    [InlineData(400, 3)]
    [InlineData(3137, 8)]
    [InlineData(52661, 8)]
    public void ClamKFromTheBagSizeGrowsWithTheBagUpToClamsEight(int patches, int k) =>
        Assert.Equal(k, ClamNetwork.AutoInstanceSamples(patches));

    [Fact]
    public void ClamKAutoTakesTheInstanceLossOfThatK()
    {
        // A bag of 400 patches: auto is k = 3, so the loss equals that of a fixed k = 3 and differs from k = 8.
        var random = new Random(8);
        using var attention = tensor(
            Enumerable.Range(0, 2 * 400).Select(_ => random.NextSingle()).ToArray(),
            [2L, 400L]
        );
        using var instances = tensor(
            Enumerable.Range(0, 400 * 40).Select(_ => random.NextSingle()).ToArray(),
            [400L, 40L]
        );
        float Loss(int k)
        {
            var spec = Spec("clam", features: true, classes: 2) with { InstanceSamples = k };
            using var network = (ClamNetwork)TorchSeeding.Seeded(5, () => BagNetwork.Create(spec));
            using var loss = network.InstanceLoss(attention, instances, 1)!;
            return loss.item<float>();
        }
        Assert.Equal(Loss(3), Loss(0));
        Assert.NotEqual(Loss(8), Loss(0));
    }

    [Fact]
    public void ClamInstanceLossFallsWhenTrainedOnAToyProblem()
    {
        // Feature bags of 10 patches; a positive bag hides 3 "tumour" patches whose first feature is high.
        var spec = Spec("clam", features: true, classes: 2) with
        {
            DropoutPercent = 0,
        };
        using var network = (ClamNetwork)TorchSeeding.Seeded(5, () => BagNetwork.Create(spec));
        var random = new Random(6);
        var bags = Enumerable
            .Range(0, 16)
            .Select(i =>
            {
                var bag = Enumerable.Range(0, 10 * 12).Select(_ => (float)random.NextDouble() * 0.2f).ToArray();
                if (i % 2 == 1)
                    foreach (int patch in new[] { 1, 4, 8 })
                        bag[patch * 12] = 3f;
                return (Bag: bag, Label: (long)(i % 2));
            })
            .ToList();
        var layout = new BagLayout(3, 28, 28, 1, 10, 0, 0, 280, 28);

        double MeanInstanceLoss()
        {
            using var _ = no_grad();
            double total = 0;
            foreach (var (bag, label) in bags)
            {
                using var scope = NewDisposeScope();
                var (_, loss) = network.TrainingForward(tensor(bag, [10L, 12L]), layout, label);
                total += loss!.item<float>();
            }
            return total / bags.Count;
        }

        double before = MeanInstanceLoss();
        using var adam = new AdamOptimizer(network.parameters(), 1e-3);
        network.train();
        for (int epoch = 0; epoch < 15; epoch++)
            foreach (var (bag, label) in bags)
            {
                using var scope = NewDisposeScope();
                adam.ZeroGrad();
                var (logits, instanceLoss) = network.TrainingForward(tensor(bag, [10L, 12L]), layout, label);
                var loss = F.cross_entropy(logits, tensor(new[] { label })).mul(0.7).add(instanceLoss!.mul(0.3));
                loss.backward();
                adam.Step();
            }
        network.eval();
        double after = MeanInstanceLoss();
        Assert.True(after < before * 0.5, $"instance loss {before:F3} → {after:F3}");
    }

    [Theory]
    [InlineData("additive", MapKind.Contribution)]
    [InlineData("clam", MapKind.ClassAttention)]
    [InlineData("transmil", MapKind.Attention)]
    public void TrainedModelsSaveAndReloadBitIdenticallyInANewProcess(string pooling, MapKind kind)
    {
        var root = TestTemp.Folder("amil-heads-").FullName;
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(
            TestImages.Rows(TestImages.ImageFolder(Path.Combine(root, "data"), 56, 56, ("", 3)))
        );
        var model = ml
            .Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.BagPatches(new PatchBaggingOptions { CropHeight = null, CropWidth = null }))
            .Append(
                ml.MulticlassClassification.Trainers.AttentionMil(
                    new AttentionMilOptions { Pooling = Heads.Find(pooling), MaxEpochs = 2 }
                )
            )
            .Fit(data);
        var path = Path.Combine(root, "model.zip");
        ml.Model.Save(model, data.Schema, path);

        var loaded = AmilModel.Load(path);
        Assert.Equal(kind, loaded.MapKind);
        var image = TestImages.Rows(Path.Combine(root, "data"))[0].ImagePath;
        var expected = loaded.Score([image]).Single();
        Assert.Equal(4, expected.Map.Length);
        Assert.All(expected.Map, v => Assert.True(float.IsFinite(v)));
        if (kind == MapKind.Attention) // TransMIL: one class-agnostic map
            Assert.Null(expected.ClassMaps);
        else
        {
            // Every class's map travels too: the predicted class's row is the map, and any class can be asked for.
            Assert.Equal(2 * 4, expected.ClassMaps!.Length);
            Assert.Equal(expected.Map, expected.MapOf(expected.PredictedIndex));
        }
        if (kind == MapKind.ClassAttention)
            Assert.All(new[] { 0, 1 }, c => Assert.Equal(1.0, expected.MapOf(c).Sum(), 4));
        using var sample = JsonDocument.Parse(Programs.RunSample(path, image));
        Assert.Equal(kind.Name(), sample.RootElement.GetProperty("map_kind").GetString());
        Assert.Equal(
            expected.Map.Select(BitConverter.SingleToInt32Bits),
            sample
                .RootElement.GetProperty("map")
                .EnumerateArray()
                .Select(v => BitConverter.SingleToInt32Bits(v.GetSingle()))
        );
        var probabilities = sample.RootElement.GetProperty("probabilities");
        for (int c = 0; c < loaded.ClassNames.Count; c++)
            Assert.Equal(
                BitConverter.SingleToInt32Bits(expected.Probabilities[c]),
                BitConverter.SingleToInt32Bits(probabilities.GetProperty(loaded.ClassNames[c]).GetSingle())
            );
    }
}
