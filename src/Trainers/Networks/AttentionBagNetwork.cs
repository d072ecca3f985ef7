using Amil.MLNet.Transforms.Bagging;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>A bag network whose localization map is its own attention weights (Attention-MIL on patches or on
/// features): instances → attention pooling → linear head.</summary>
internal abstract class AttentionBagNetwork(string name, NetworkSpec spec) : BagNetwork(name, spec)
{
    /// <summary>Patches (or features) → N × L instance embeddings.</summary>
    protected abstract Tensor Encode(Tensor bag);

    protected abstract AttentionPooling Pooling { get; }

    protected abstract Linear Classifier { get; }

    /// <param name="bag">One bag shaped by <see cref="BagNetwork.InputShape"/>.</param>
    /// <returns>1 × C logits and the N attention weights.</returns>
    public (Tensor Logits, Tensor Attention) forward(Tensor bag)
    {
        using var instances = Encode(bag);
        var (pooled, weights) = Pooling.forward(instances);
        using (pooled)
            return (Classifier.forward(pooled), weights);
    }

    public sealed override Tensor Logits(Tensor bag, BagLayout layout)
    {
        var (logits, attention) = forward(bag);
        attention.Dispose();
        return logits;
    }

    /// <summary>All patches of the batch through the encoder at once, attention per bag.</summary>
    public sealed override Tensor Logits(BagBatch batch)
    {
        using var scope = NewDisposeScope();
        var (padded, valid) = batch.Pad(Encode(batch.Packed));
        var (pooled, _) = Pooling.PoolBatch(padded, valid);
        return Classifier.forward(pooled).MoveToOuterDisposeScope();
    }

    public sealed override (float[] Probabilities, float[] Map) Explain(Tensor bag, BagLayout layout)
    {
        using var _ = no_grad();
        var (logits, attention) = forward(bag);
        using (logits)
        using (attention)
        using (var probabilities = softmax(logits, 1).squeeze(0))
            return (probabilities.cpu().data<float>().ToArray(), attention.cpu().data<float>().ToArray());
    }
}
