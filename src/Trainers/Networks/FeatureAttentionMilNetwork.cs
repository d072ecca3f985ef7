using Amil.MLNet.Transforms.Bagging;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>Attention-MIL on precomputed patch features (CLAM's setup): FC → ReLU → dropout, attention pooling, linear
/// head. The frozen encoder runs before (ExtractPatchFeatures), so only this head trains.</summary>
internal sealed class FeatureAttentionMilNetwork : AttentionBagNetwork
{
    private readonly Linear projection;
    private readonly SeededDropout dropout;
    private readonly AttentionPooling pooling;
    private readonly Linear classifier;

    public FeatureAttentionMilNetwork(NetworkSpec spec)
        : base(nameof(FeatureAttentionMilNetwork), spec)
    {
        if (spec.FeatureSize < 1)
            throw new ArgumentException($"A feature network needs the feature size (got {spec.FeatureSize}).");
        projection = Linear(spec.FeatureSize, spec.EmbeddingSize);
        dropout = new SeededDropout(spec.DropoutPercent / 100.0);
        pooling = new AttentionPooling(spec.EmbeddingSize, spec.AttentionSize, spec.Gated);
        classifier = Linear(spec.EmbeddingSize, spec.Classes);
        RegisterComponents();
    }

    public override long[] InputShape(BagLayout layout, int length) => [layout.Count, length / layout.Count];

    protected override Tensor Encode(Tensor features)
    {
        if (features.shape[1] != Spec.FeatureSize)
            throw new ArgumentException(
                $"The model was trained on {Spec.FeatureSize} features per patch but got {features.shape[1]}; use "
                    + "the same feature extractor."
            );
        using var projected = projection.forward(features);
        using var activated = functional.relu(projected);
        return dropout.forward(activated);
    }

    protected override AttentionPooling Pooling => pooling;

    protected override Linear Classifier => classifier;
}
