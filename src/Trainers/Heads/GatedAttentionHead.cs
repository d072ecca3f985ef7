namespace Amil.MLNet.Trainers;

/// <summary>Gated attention (Ilse et al. 2018): a = softmax(wᵀ (tanh(V h) ⊙ sigm(U h))); the attention head's network
/// with the gate on.</summary>
internal sealed class GatedAttentionHead : AttentionHead
{
    public override string Name => "gated";

    public override string Summary => "Gated attention (Ilse et al. 2018); map: the attention.";

    internal override bool Gated => true;
}
