using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Trainers.Scoring;
using Amil.MLNet.Transforms.Bagging;
using Xunit;

namespace Amil.MLNet.Tests;

public class PermutationTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PermutingPatchesPermutesAttentionAndKeepsProbabilities(bool gated)
    {
        using var network = TorchSeeding.Seeded(
            11,
            () => new AttentionMilNetwork(new NetworkSpec(28, 500, 128, gated, 2))
        );
        network.eval();
        var layout = new BagLayout(3, 28, 28, 2, 5, 0, 0, 140, 56);
        var random = new Random(4);
        var pixels = new float[layout.Count * layout.PatchLength];
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = (float)random.NextDouble();

        var permutation = Enumerable.Range(0, layout.Count).OrderBy(_ => random.Next()).ToArray();
        var permuted = new float[pixels.Length];
        for (int i = 0; i < layout.Count; i++)
            Array.Copy(
                pixels,
                permutation[i] * layout.PatchLength,
                permuted,
                i * layout.PatchLength,
                layout.PatchLength
            );

        var (p1, a1) = BagScorer.Score(network, pixels, layout);
        var (p2, a2) = BagScorer.Score(network, permuted, layout);
        for (int c = 0; c < 2; c++)
            Assert.Equal(p1[c], p2[c], 1e-5);
        for (int i = 0; i < layout.Count; i++)
            Assert.Equal(a1[permutation[i]], a2[i], 1e-6);
        Assert.Equal(1.0, a1.Sum(), 5);
    }

    [Fact]
    public void WeightsRoundTripThroughTheSavedState()
    {
        var spec = new NetworkSpec(28, 500, 128, true, 3);
        using var network = TorchSeeding.Seeded(5, () => new AttentionMilNetwork(spec));
        var weights = network.ExportWeights();
        var (rebuiltSpec, rebuilt) = NetworkCache.Use(
            NetworkState.Encode(spec, weights),
            n => (n.Spec, n.ExportWeights())
        );
        Assert.Equal(spec, rebuiltSpec);
        Assert.Equal(weights, rebuilt);
    }

    [Fact]
    public void TheNetworkCacheKeepsAFewNetworksAndNeverReleasesOneInUse()
    {
        float[] State(int seed)
        {
            var spec = new NetworkSpec(28, 20, 8, false, 2);
            using var network = TorchSeeding.Seeded(seed, () => BagNetwork.Create(spec));
            return NetworkState.Encode(spec, network.ExportWeights());
        }
        var states = Enumerable.Range(100, 4).Select(State).ToList();
        int before = NetworkCache.Capacity;
        try
        {
            NetworkCache.Capacity = 2;
            var weights = NetworkCache.Use(
                states[0],
                held =>
                {
                    // Three other networks push the held one out of the cache while it is in use.
                    foreach (var other in states.Skip(1))
                        NetworkCache.Use(other, n => n.Spec);
                    Assert.InRange(NetworkCache.Count, 1, 2);
                    return held.ExportWeights(); // still whole: released only when this use ends
                }
            );
            Assert.Equal(NetworkCache.Use(states[0], n => n.ExportWeights()), weights);
            Assert.InRange(NetworkCache.Count, 1, 2);
        }
        finally
        {
            NetworkCache.Capacity = before;
        }
    }
}
