using Amil.MLNet.Trainers.Networks;

namespace Amil.MLNet.Trainers;

/// <summary>TransMIL (Shao et al. 2021): a class token and the instances through two Nyström self-attention layers
/// with a pyramid position encoding between them.</summary>
internal sealed class TransMilHead : Head
{
    public override string Name => "transmil";

    public override string Summary =>
        "TransMIL (Shao et al. 2021): Nyström self-attention over the instances and a class token; map: the class "
        + "token's attention.";

    public override MapKind Map => MapKind.Attention;

    internal override int SavedId => 4;

    internal override BagNetwork Create(NetworkSpec spec) => new TransMilNetwork(spec);
}
