using Amil.MLNet.Transforms.Bagging;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>
/// Additive MIL (Javed et al., NeurIPS 2022): instances → gated attention a → the classifier W applied to each
/// attention-scaled instance a_k·h_k gives that patch's contribution to every class, and the bag logits are the sum of
/// the contributions plus one bias. The decomposition is exact, so the map (the contribution to the predicted class)
/// says how much each patch pushed the prediction, and in which direction.
/// </summary>
internal sealed class AdditiveMilNetwork : ClassAwareBagNetwork
{
    private readonly Module<Tensor, Tensor> encoder;
    private readonly AttentionPooling pooling;
    private readonly Linear classifier;

    public AdditiveMilNetwork(NetworkSpec spec)
        : base(nameof(AdditiveMilNetwork), spec)
    {
        encoder = InstanceEncoder.Create(spec);
        pooling = new AttentionPooling(spec.EmbeddingSize, spec.AttentionSize, gated: true);
        classifier = Linear(spec.EmbeddingSize, spec.Classes);
        RegisterComponents();
    }

    /// <returns>1 × C logits, N × C contributions and the C biases: logits = Σ_k contributions_k + bias.</returns>
    public (Tensor Logits, Tensor Contributions, Tensor Bias) forward(Tensor bag)
    {
        using var scope = NewDisposeScope();
        var instances = encoder.forward(bag);
        var (pooled, weights) = pooling.forward(instances);
        pooled.Dispose();
        var scaled = instances.mul(weights.unsqueeze(1)); // a_k · h_k
        var contributions = F.linear(scaled, classifier.weight!); // N × C, no bias per patch
        var bias = classifier.bias!.detach();
        var logits = contributions.sum(0, keepdim: true).add(classifier.bias!, Scalars.One);
        return (
            logits.MoveToOuterDisposeScope(),
            contributions.MoveToOuterDisposeScope(),
            bias.MoveToOuterDisposeScope()
        );
    }

    /// <summary>All patches of the batch through the encoder at once; padded patches weigh 0, so add
    /// nothing.</summary>
    public override Tensor Logits(BagBatch batch)
    {
        using var scope = NewDisposeScope();
        var (padded, valid) = batch.Pad(encoder.forward(batch.Packed)); // B × N × L
        var (_, weights) = pooling.PoolBatch(padded, valid); // B × N
        var contributions = F.linear(padded.mul(weights.unsqueeze(2)), classifier.weight!); // B × N × C
        return contributions.sum(1).add(classifier.bias!, Scalars.One).MoveToOuterDisposeScope();
    }

    protected override (Tensor Logits, Tensor ClassMaps) LogitsAndClassMaps(Tensor bag)
    {
        var (logits, contributions, bias) = forward(bag);
        bias.Dispose();
        return (logits, contributions.t()); // a view; copied only when the maps are read
    }
}
