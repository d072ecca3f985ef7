using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>Bag of patches → LeNet encoder → attention pooling → linear head over the classes.</summary>
internal sealed class AttentionMilNetwork : Module<Tensor, (Tensor Logits, Tensor Attention)>
{
    private readonly LeNetPatchEncoder encoder;
    private readonly AttentionPooling pooling;
    private readonly Linear classifier;

    public AttentionMilNetwork(NetworkSpec spec) : base(nameof(AttentionMilNetwork))
    {
        Spec = spec;
        encoder = new LeNetPatchEncoder(spec.PatchSize, spec.EmbeddingSize);
        pooling = new AttentionPooling(spec.EmbeddingSize, spec.AttentionSize, spec.Gated);
        classifier = Linear(spec.EmbeddingSize, spec.Classes);
        RegisterComponents();
    }

    public NetworkSpec Spec { get; }

    /// <param name="bag">N × 3 × P × P patches.</param>
    /// <returns>1 × C logits and the N attention weights.</returns>
    public override (Tensor Logits, Tensor Attention) forward(Tensor bag)
    {
        using var instances = encoder.forward(bag);
        var (pooled, weights) = pooling.forward(instances);
        using (pooled) return (classifier.forward(pooled), weights);
    }

    /// <summary>All parameters, flattened in registration order (the saved form).</summary>
    public float[] ExportWeights()
    {
        var parts = parameters().Select(p => p.detach().cpu().data<float>().ToArray()).ToList();
        var all = new float[parts.Sum(p => p.Length)];
        int offset = 0;
        foreach (var part in parts) { part.CopyTo(all, offset); offset += part.Length; }
        return all;
    }

    public void ImportWeights(ReadOnlySpan<float> weights)
    {
        long expected = parameters().Sum(p => p.numel());
        if (weights.Length != expected)
            throw new InvalidDataException($"The saved network has {weights.Length} weights; a network of this shape needs {expected}. The model file is damaged or from another version.");
        using var _ = no_grad();
        int offset = 0;
        foreach (var p in parameters())
        {
            int n = (int)p.numel();
            using var source = tensor(weights.Slice(offset, n).ToArray(), p.shape);
            p.copy_(source);
            offset += n;
        }
    }
}
