using Amil.MLNet.Trainers.Networks;

namespace Amil.MLNet.Trainers;

/// <summary>Ilse et al. 2018: a = softmax(wᵀ tanh(V h)), one linear classifier on the pooled vector.</summary>
internal class AttentionHead : Head
{
    public override string Name => "attention";

    public override string Summary => "Tanh attention (Ilse et al. 2018); map: the attention.";

    public override MapKind Map => MapKind.Attention;

    internal override int SavedId => 0;

    internal override BagNetwork Create(NetworkSpec spec) =>
        spec.Architecture switch
        {
            NetworkArchitecture.AttentionMil => new AttentionMilNetwork(spec),
            NetworkArchitecture.FeatureAttentionMil => new FeatureAttentionMilNetwork(spec),
            _ => throw new InvalidDataException(
                $"Unknown network architecture {(int)spec.Architecture}; the model is from a newer version of "
                    + "Amil.MLNet."
            ),
        };
}
