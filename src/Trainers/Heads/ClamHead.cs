using Amil.MLNet.Trainers.Networks;

namespace Amil.MLNet.Trainers;

/// <summary>CLAM multi-branch (Lu et al. 2021): one attention branch and classifier per class, trained with an
/// instance loss on the top-k and bottom-k attended patches.</summary>
internal sealed class ClamHead : Head
{
    public override string Name => "clam";

    public override string Summary =>
        "CLAM multi-branch attention with the instance loss (Lu et al. 2021); map: the class's branch (class-aware).";

    public override MapKind Map => MapKind.ClassAttention;

    internal override int SavedId => 2;

    internal override BagNetwork Create(NetworkSpec spec) => new ClamNetwork(spec);

    internal override NetworkSpec Configure(NetworkSpec spec, AttentionMilOptions options) =>
        base.Configure(spec, options) with
        {
            InstanceSamples = options.ClamInstanceSamples,
        };

    internal override double BagLossShare(AttentionMilOptions options) => options.ClamBagWeight;
}
