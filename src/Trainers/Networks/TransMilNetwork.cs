using Amil.MLNet.Transforms.Bagging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>
/// TransMIL (Shao et al., NeurIPS 2021): the instance embeddings, padded to a square of H × H tokens (the first ones
/// repeated) behind a class token, pass a Nyström self-attention layer, the pyramid position encoding (PPEG: depthwise
/// 7 × 7, 5 × 5 and 3 × 3 convolutions over the H × H grid, added to it), a second attention layer and a layer norm;
/// the class token's output is classified. The map is the class token's attention over the patches in the second
/// layer, averaged over heads (a repeated patch's shares added to its own).
/// </summary>
internal sealed class TransMilNetwork : BagNetwork
{
    private const int Heads = 8,
        HeadSize = 64;

    private readonly Module<Tensor, Tensor> encoder;
    private readonly Parameter class_token;
    private readonly LayerNorm norm1,
        norm2,
        norm;
    private readonly NystromAttention attention1,
        attention2;
    private readonly Conv2d position7,
        position5,
        position3;
    private readonly Linear classifier;

    public TransMilNetwork(NetworkSpec spec)
        : base(nameof(TransMilNetwork), spec)
    {
        int size = spec.EmbeddingSize;
        encoder = InstanceEncoder.Create(spec);
        class_token = Parameter(randn(1, 1, size));
        norm1 = LayerNorm(size);
        norm2 = LayerNorm(size);
        norm = LayerNorm(size);
        // TransMIL's landmarks: half the width.
        attention1 = new NystromAttention(size, Heads, HeadSize, Math.Max(1, size / 2));
        attention2 = new NystromAttention(size, Heads, HeadSize, Math.Max(1, size / 2));
        position7 = Conv2d(size, size, 7, padding: 3, groups: size);
        position5 = Conv2d(size, size, 5, padding: 2, groups: size);
        position3 = Conv2d(size, size, 3, padding: 1, groups: size);
        classifier = Linear(size, spec.Classes);
        RegisterComponents();
    }

    public override long[] InputShape(BagLayout layout, int length) => InstanceEncoder.InputShape(Spec, layout, length);

    /// <returns>1 × C logits; with <paramref name="keepMap"/>, also the N-value map.</returns>
    private (Tensor Logits, Tensor? Map) Forward(Tensor bag, bool keepMap)
    {
        using var scope = NewDisposeScope();
        var instances = encoder.forward(bag); // N × L
        long n = instances.shape[0],
            side = (long)Math.Ceiling(Math.Sqrt(n));
        // Tokens 0..side²−1 are patches i mod N: the square is filled by repeating the first patches.
        var order = arange(side * side, dtype: int64, device: instances.device).remainder(n);
        var grid = instances.index_select(0, order).unsqueeze(0); // 1 × side² × L
        var x = cat([class_token, grid], 1);
        x = x.add(attention1.forward(norm1.forward(x)));
        x = Position(x, side);
        var (attended, row) = attention2.Attend(norm2.forward(x), keepMap ? 0 : null);
        x = x.add(attended);
        var logits = classifier.forward(norm.forward(x).select(1, 0));
        Tensor? map = null;
        if (row is not null)
        {
            // The class token's shares of the patch tokens, averaged over heads, folded back onto the N patches.
            var shares = row.mean([0]).narrow(0, 1, side * side);
            map = zeros(n, device: shares.device).index_add(0, order, shares, Scalars.One).MoveToOuterDisposeScope();
        }
        return (logits.MoveToOuterDisposeScope(), map);
    }

    /// <summary>PPEG: the patch tokens as a side × side grid plus its three depthwise convolutions.</summary>
    private Tensor Position(Tensor x, long side)
    {
        long size = x.shape[2];
        var token = x.narrow(1, 0, 1);
        var grid = x.narrow(1, 1, side * side).transpose(1, 2).reshape(1, size, side, side);
        var encoded = grid.add(position7.forward(grid)).add(position5.forward(grid)).add(position3.forward(grid));
        return cat([token, encoded.flatten(2).transpose(1, 2)], 1);
    }

    public override Tensor Logits(Tensor bag, BagLayout layout) => Forward(bag, keepMap: false).Logits;

    public override (float[] Probabilities, float[] Map) Explain(Tensor bag, BagLayout layout)
    {
        using var _ = no_grad();
        var (logits, map) = Forward(bag, keepMap: true);
        using (logits)
        using (map)
        using (var probabilities = softmax(logits, 1).squeeze(0))
            return (probabilities.cpu().data<float>().ToArray(), map!.cpu().data<float>().ToArray());
    }
}
