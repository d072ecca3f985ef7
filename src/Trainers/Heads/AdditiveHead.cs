using Amil.MLNet.Trainers.Networks;

namespace Amil.MLNet.Trainers;

/// <summary>Additive MIL (Javed et al. 2022): the bag logits are the sum of each patch's class contributions, so the
/// map is exact and signed.</summary>
internal sealed class AdditiveHead : Head
{
    public override string Name => "additive";

    public override string Summary =>
        "Additive MIL (Javed et al. 2022); map: each patch's signed contribution to the class (class-aware).";

    public override MapKind Map => MapKind.Contribution;

    internal override int SavedId => 1;

    internal override BagNetwork Create(NetworkSpec spec) => new AdditiveMilNetwork(spec);

    internal override NetworkSpec Configure(NetworkSpec spec, AttentionMilOptions options) =>
        base.Configure(spec, options) with
        {
            ClassifierHidden = options.AdditiveHiddenSize,
        };
}
