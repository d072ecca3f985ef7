using Amil.MLNet.Transforms.Bagging;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>
/// Additive MIL (Javed et al., NeurIPS 2022): instances → gated attention a → the patch classifier ψ applied to each
/// attention-scaled instance a_k·h_k gives that patch's contribution to every class, and the bag logits are the sum of
/// the contributions. By default (<see cref="NetworkSpec.ClassifierHidden"/> = 0) ψ is one linear layer W: the logits
/// are Σ_k W·a_k·h_k plus one bias, the prediction equals gated attention-MIL's with a linear head, and the map is the
/// exact per-patch decomposition of it. With hidden units ψ is the paper's small MLP (Linear → ReLU → Linear), a
/// genuinely different model (it localized worse in our study). Either way the decomposition is exact: the map (the
/// contribution to the predicted class) says how much each patch pushed the prediction, and in which direction.
/// </summary>
internal sealed class AdditiveMilNetwork : ClassAwareBagNetwork
{
    private readonly Module<Tensor, Tensor> encoder;
    private readonly AttentionPooling pooling;
    private readonly Linear? hidden;
    private readonly Linear classifier;

    public AdditiveMilNetwork(NetworkSpec spec)
        : base(nameof(AdditiveMilNetwork), spec)
    {
        encoder = InstanceEncoder.Create(spec);
        pooling = new AttentionPooling(spec.EmbeddingSize, spec.AttentionSize, gated: true);
        if (spec.ClassifierHidden > 0)
        {
            hidden = Linear(spec.EmbeddingSize, spec.ClassifierHidden);
            classifier = Linear(spec.ClassifierHidden, spec.Classes);
        }
        else
            classifier = Linear(spec.EmbeddingSize, spec.Classes);
        RegisterComponents();
    }

    /// <returns>1 × C logits, N × C contributions and the C biases not assigned to a patch (the linear ψ's one bias;
    /// zeros for the MLP, whose biases are inside each patch's contribution): logits = Σ_k contributions_k +
    /// bias.</returns>
    public (Tensor Logits, Tensor Contributions, Tensor Bias) forward(Tensor bag)
    {
        using var scope = NewDisposeScope();
        var instances = encoder.forward(bag);
        var (pooled, weights) = pooling.forward(instances);
        pooled.Dispose();
        var contributions = Contributions(instances.mul(weights.unsqueeze(1))); // ψ(a_k · h_k): N × C
        var logits = hidden is null
            ? contributions.sum(0, keepdim: true).add(classifier.bias!, Scalars.One)
            : contributions.sum(0, keepdim: true);
        var bias = hidden is null ? classifier.bias!.detach() : zeros(Spec.Classes, device: contributions.device);
        return (
            logits.MoveToOuterDisposeScope(),
            contributions.MoveToOuterDisposeScope(),
            bias.MoveToOuterDisposeScope()
        );
    }

    /// <summary>ψ per scaled instance (… × L → … × C); the linear ψ leaves its bias out (added once per bag).</summary>
    private Tensor Contributions(Tensor scaled)
    {
        if (hidden is null)
            return F.linear(scaled, classifier.weight!);
        using var h = hidden.forward(scaled);
        using var activated = F.relu(h);
        return classifier.forward(activated);
    }

    /// <summary>All patches of the batch through the encoder at once; padded patches add nothing (their
    /// contributions are masked out: ψ(0) is not 0 for the MLP).</summary>
    public override Tensor Logits(BagBatch batch)
    {
        using var scope = NewDisposeScope();
        var (padded, valid) = batch.Pad(encoder.forward(batch.Packed)); // B × N × L
        var (_, weights) = pooling.PoolBatch(padded, valid); // B × N
        var contributions = Contributions(padded.mul(weights.unsqueeze(2))); // B × N × C
        if (hidden is null) // padded patches weigh 0, so their contributions are exactly 0
            return contributions.sum(1).add(classifier.bias!, Scalars.One).MoveToOuterDisposeScope();
        var kept = valid is null ? contributions : contributions.mul(valid.unsqueeze(2).to(contributions.dtype));
        return kept.sum(1).MoveToOuterDisposeScope();
    }

    protected override (Tensor Logits, Tensor ClassMaps) LogitsAndClassMaps(Tensor bag)
    {
        var (logits, contributions, bias) = forward(bag);
        bias.Dispose();
        return (logits, contributions.t()); // a view; copied only when the maps are read
    }
}
