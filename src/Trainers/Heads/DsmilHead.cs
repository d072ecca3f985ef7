using Amil.MLNet.Trainers.Networks;

namespace Amil.MLNet.Trainers;

/// <summary>DSMIL (Li et al. 2021): a max-pooled instance classifier plus attention from each patch's similarity to
/// the critical instance; the two predictions' losses weigh the same, as in the paper.</summary>
internal sealed class DsmilHead : Head
{
    public override string Name => "dsmil";

    public override string Summary =>
        "DSMIL (Li et al. 2021): max-pooled instance classifier and attention to the critical instance; map: the "
        + "instance scores (class-aware).";

    public override MapKind Map => MapKind.InstanceScore;

    internal override int SavedId => 3;

    internal override BagNetwork Create(NetworkSpec spec) => new DsmilNetwork(spec);

    /// <summary>½ · bag + ½ · max-instance loss.</summary>
    internal override double BagLossShare(AttentionMilOptions options) => 0.5;
}
