using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>Bag of patches → LeNet encoder → attention pooling → linear head over the classes.</summary>
internal sealed class AttentionMilNetwork : AttentionBagNetwork
{
    private readonly LeNetPatchEncoder encoder;
    private readonly AttentionPooling pooling;
    private readonly Linear classifier;

    public AttentionMilNetwork(NetworkSpec spec)
        : base(nameof(AttentionMilNetwork), spec)
    {
        encoder = new LeNetPatchEncoder(spec.PatchSize, spec.EmbeddingSize);
        pooling = new AttentionPooling(spec.EmbeddingSize, spec.AttentionSize, spec.Gated);
        classifier = Linear(spec.EmbeddingSize, spec.Classes);
        RegisterComponents();
    }

    /// <param name="bag">N × 3 × P × P patches.</param>
    /// <returns>1 × C logits and the N attention weights.</returns>
    public override (Tensor Logits, Tensor Attention) forward(Tensor bag)
    {
        using var instances = encoder.forward(bag);
        var (pooled, weights) = pooling.forward(instances);
        using (pooled)
            return (classifier.forward(pooled), weights);
    }
}
