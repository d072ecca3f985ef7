using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>Bag → instance embeddings (N × L), whichever input the network reads: the LeNet encoder on patches, or the
/// projection FC → ReLU → dropout on precomputed features.</summary>
internal static class InstanceEncoder
{
    public static Module<Tensor, Tensor> Create(NetworkSpec spec) =>
        spec.Architecture == NetworkArchitecture.FeatureAttentionMil
            ? new FeatureProjection(spec)
            : new LeNetPatchEncoder(spec.PatchSize, spec.EmbeddingSize);

    /// <summary>Tensor shape of one bag for the encoder.</summary>
    public static long[] InputShape(NetworkSpec spec, Transforms.Bagging.BagLayout layout, int length) =>
        spec.Architecture == NetworkArchitecture.FeatureAttentionMil
            ? [layout.Count, length / layout.Count]
            : [layout.Count, layout.Channels, layout.PatchSize, layout.PatchSize];
}

/// <summary>Precomputed features → instance embeddings: FC → ReLU → dropout (CLAM's first layer).</summary>
internal sealed class FeatureProjection : Module<Tensor, Tensor>
{
    private readonly Linear projection;
    private readonly SeededDropout dropout;
    private readonly int _featureSize;

    public FeatureProjection(NetworkSpec spec)
        : base(nameof(FeatureProjection))
    {
        if (spec.FeatureSize < 1)
            throw new ArgumentException($"A feature network needs the feature size (got {spec.FeatureSize}).");
        _featureSize = spec.FeatureSize;
        projection = Linear(spec.FeatureSize, spec.EmbeddingSize);
        dropout = new SeededDropout(spec.DropoutPercent / 100.0);
        RegisterComponents();
    }

    public override Tensor forward(Tensor features)
    {
        if (features.shape[1] != _featureSize)
            throw new ArgumentException(
                $"The model was trained on {_featureSize} features per patch but got {features.shape[1]}; "
                    + "use the same feature extractor."
            );
        using var projected = projection.forward(features);
        using var activated = functional.relu(projected);
        return dropout.forward(activated);
    }
}
