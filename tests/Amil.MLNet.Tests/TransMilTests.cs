using Amil.MLNet.Trainers;
using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Trainers.Scoring;
using Amil.MLNet.Transforms.Bagging;
using Xunit;
using static TorchSharp.torch;

namespace Amil.MLNet.Tests;

/// <summary>TransMIL: Nyström attention against exact softmax attention and the class token's map (a trained model
/// saved and reloaded: <see cref="MilHeadTests"/>).</summary>
public class TransMilTests
{
    [Fact]
    public void NystromAttentionWithOneTokenPerLandmarkIsSoftmaxAttention()
    {
        // n = m: every landmark is one token, so softmax(QK̃ᵀ)·pinv(softmax(Q̃K̃ᵀ))·softmax(Q̃Kᵀ) = softmax(QKᵀ)
        // up to the pseudo-inverse's iterations.
        const int size = 12,
            heads = 2,
            headSize = 4,
            n = 6;
        using var attention = TorchSeeding.Seeded(
            5,
            () => new NystromAttention(size, heads, headSize, landmarks: n, iterations: 20)
        );
        var parameters = attention.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (no_grad())
            parameters["residual.weight"].zero_(); // the values' residual convolution, checked apart
        using var scope = NewDisposeScope();
        var x = TorchSeeding.Seeded(6, () => randn(1, n, size));
        var (output, row) = attention.Attend(x, rowOf: 2);

        var qkv = x.matmul(parameters["to_qkv.weight"].t()).chunk(3, -1);
        Tensor Heads(Tensor t) => t.view(1, n, heads, headSize).permute(0, 2, 1, 3);
        var (q, k, v) = (Heads(qkv[0]), Heads(qkv[1]), Heads(qkv[2]));
        var exact = softmax(q.matmul(k.transpose(-1, -2)).div(Math.Sqrt(headSize)), -1); // 1 × h × n × n
        var mixed = exact.matmul(v).permute(0, 2, 1, 3).reshape(1, n, heads * headSize);
        var expected = mixed.matmul(parameters["to_out.weight"].t()).add(parameters["to_out.bias"]);

        Assert.True(
            output.allclose(expected, rtol: 1e-3, atol: 1e-4),
            $"largest difference {output.sub(expected).abs().max().item<float>()}"
        );
        Assert.True(row!.allclose(exact[0, .., 2, ..], rtol: 1e-3, atol: 1e-4));
    }

    private static NetworkSpec Spec(bool features) =>
        new(28, 40, 16, false, 3)
        {
            Head = Heads.Find("transmil").SavedId,
            Architecture = features ? NetworkArchitecture.FeatureAttentionMil : NetworkArchitecture.AttentionMil,
            FeatureSize = features ? 12 : 0,
            InputScale = 1,
        };

    [Theory]
    [InlineData(7, true)] // 7 patches → a 3 × 3 grid: patches 0 and 1 fill the last two places again
    [InlineData(16, true)] // a full square
    [InlineData(1, false)]
    public void TheMapIsTheClassTokensAttentionOverEveryPatch(int patches, bool features)
    {
        var spec = Spec(features);
        using var network = TorchSeeding.Seeded(4, () => BagNetwork.Create(spec));
        network.eval();
        var layout = new BagLayout(3, 28, 28, 1, patches, 0, 0, 28 * patches, 28);
        int perPatch = features ? 12 : layout.PatchLength;
        var random = new Random(patches);
        var values = Enumerable.Range(0, patches * perPatch).Select(_ => (float)random.NextDouble()).ToArray();

        var (probabilities, map) = BagScorer.Score(network, values, layout);

        Assert.Equal(3, probabilities.Length);
        Assert.Equal(1.0, probabilities.Sum(), 5);
        Assert.Equal(patches, map.Length);
        Assert.All(map, v => Assert.True(float.IsFinite(v)));
        // Nyström rows sum to 1 over all tokens; the patches hold all of it but the class token's own share.
        Assert.InRange(map.Sum(), 0.0, 1.05);
        Assert.Equal(MapKind.Attention, spec.Map());
    }
}
