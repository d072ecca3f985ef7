using Amil.MLNet.Transforms.Bagging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>
/// DSMIL (Li, Li and Eliceiri, CVPR 2021), for one label of C classes: an instance classifier scores every patch
/// (c_i = W h_i, one score per class) and its max over the bag is one prediction; the other pools the bag with
/// attention from each patch's similarity to the critical instance m_k — the highest-scoring patch of class k —
/// a_ik = softmax_i(⟨q_i, q_mk⟩ / √d) with q = tanh(W_q h), into one vector per class b_k = Σ_i a_ik v_i
/// (v = W_v h), scored by its own classifier. The bag's logits are the mean of the two; training minimises
/// ½·CE(bag) + ½·CE(max instance). The map is the instance scores c_ik (class-aware: one map per class).
/// </summary>
internal sealed class DsmilNetwork : ClassAwareBagNetwork
{
    private readonly Module<Tensor, Tensor> encoder;
    private readonly Linear instance_classifier,
        query,
        value,
        classifiers; // row k: class k's bag classifier over b_k

    public DsmilNetwork(NetworkSpec spec)
        : base(nameof(DsmilNetwork), spec)
    {
        encoder = InstanceEncoder.Create(spec);
        instance_classifier = Linear(spec.EmbeddingSize, spec.Classes);
        query = Linear(spec.EmbeddingSize, spec.AttentionSize);
        value = Linear(spec.EmbeddingSize, spec.EmbeddingSize);
        classifiers = Linear(spec.EmbeddingSize, spec.Classes);
        _similarityScale = (1 / Math.Sqrt(spec.AttentionSize)).ToScalar();
        RegisterComponents();
    }

    /// <returns>1 × C bag-branch logits, 1 × C max-instance logits, and the C × N instance scores.</returns>
    public (Tensor BagLogits, Tensor InstanceLogits, Tensor Scores) forward(Tensor bag)
    {
        using var scope = NewDisposeScope();
        var instances = encoder.forward(bag); // N × L
        var scores = instance_classifier.forward(instances); // N × C
        var critical = scores.argmax(0); // C: the top patch of each class
        var queries = tanh(query.forward(instances)); // N × D
        var criticalQueries = queries.index_select(0, critical); // C × D
        var similarity = queries.mm(criticalQueries.t()).mul(_similarityScale); // N × C
        var attention = softmax(similarity, 0); // each class's column sums to 1
        var pooled = attention.t().mm(value.forward(instances)); // C × L
        var bagLogits = pooled.mul(classifiers.weight!).sum(1).add(classifiers.bias!, Scalars.One).unsqueeze(0);
        var instanceLogits = scores.max(0).values.unsqueeze(0);
        return (
            bagLogits.MoveToOuterDisposeScope(),
            instanceLogits.MoveToOuterDisposeScope(),
            scores.t().contiguous().MoveToOuterDisposeScope()
        );
    }

    protected override (Tensor Logits, Tensor ClassMaps) LogitsAndClassMaps(Tensor bag)
    {
        var (bagLogits, instanceLogits, scores) = forward(bag);
        using (bagLogits)
        using (instanceLogits)
            return (bagLogits.add(instanceLogits, Scalars.One).mul(Half), scores);
    }

    public override (Tensor Logits, Tensor? InstanceLoss) TrainingForward(Tensor bag, BagLayout layout, long classIndex)
    {
        var (bagLogits, instanceLogits, scores) = forward(bag);
        scores.Dispose();
        using var target = tensor(new[] { classIndex }, device: instanceLogits.device);
        using (instanceLogits)
            return (bagLogits, F.cross_entropy(instanceLogits, target));
    }

    /// <summary>Batches step bag by bag: the critical instances are each bag's own.</summary>
    public override (Tensor Logits, Tensor?[]? InstanceLosses) TrainingForward(BagBatch batch, long[] classIndices) =>
        BagByBag(batch, classIndices);

    // Owned scalars: TorchSharp keeps no reference to an implicitly converted one during the native call.
    private static readonly TorchSharp.Scalar Half = 0.5.ToScalar();
    private readonly TorchSharp.Scalar _similarityScale;
}
