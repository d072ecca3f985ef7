using Amil.MLNet.Transforms.Bagging;
using static TorchSharp.torch;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>A bag network whose localization map is its own attention weights (Attention-MIL on patches or on
/// features).</summary>
internal abstract class AttentionBagNetwork(string name, NetworkSpec spec) : BagNetwork(name, spec)
{
    /// <returns>1 × C logits and the N attention weights.</returns>
    public abstract (Tensor Logits, Tensor Attention) forward(Tensor bag);

    public sealed override Tensor Logits(Tensor bag, BagLayout layout)
    {
        var (logits, attention) = forward(bag);
        attention.Dispose();
        return logits;
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
