using Amil.MLNet.Transforms.Bagging;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>
/// CLAM multi-branch (Lu et al. 2021): gated attention with one branch per class (C × N weights), each class pooling
/// its own vector M_c and scoring it with its own classifier. While training, the instance-level loss clusters the
/// k most and k least attended patches of the true class's branch into "positive" and "negative" with that class's
/// instance classifier (CLAM's in-class term). The map is the predicted class's attention branch.
/// </summary>
internal sealed class ClamNetwork : ClassAwareBagNetwork
{
    private readonly Module<Tensor, Tensor> encoder;
    private readonly Linear attention_V,
        attention_U,
        attention_w;
    private readonly Linear classifiers; // row c: class c's own bag classifier
    private readonly Linear instance_classifiers; // rows 2c, 2c+1: class c's instance classifier (negative, positive)

    public ClamNetwork(NetworkSpec spec)
        : base(nameof(ClamNetwork), spec)
    {
        encoder = InstanceEncoder.Create(spec);
        attention_V = Linear(spec.EmbeddingSize, spec.AttentionSize);
        attention_U = Linear(spec.EmbeddingSize, spec.AttentionSize);
        attention_w = Linear(spec.AttentionSize, spec.Classes);
        classifiers = Linear(spec.EmbeddingSize, spec.Classes);
        instance_classifiers = Linear(spec.EmbeddingSize, 2 * spec.Classes);
        RegisterComponents();
    }

    /// <returns>1 × C logits, C × N attention (each row sums to 1) and the N × L instances.</returns>
    public (Tensor Logits, Tensor Attention, Tensor Instances) forward(Tensor bag)
    {
        using var scope = NewDisposeScope();
        var instances = encoder.forward(bag);
        var hidden = tanh(attention_V.forward(instances)).mul(sigmoid(attention_U.forward(instances)));
        var attention = softmax(attention_w.forward(hidden).t(), 1); // C × N
        var pooled = attention.mm(instances); // C × L: one vector per class
        var logits = pooled.mul(classifiers.weight!).sum(1).add(classifiers.bias!, Scalars.One).unsqueeze(0);
        return (
            logits.MoveToOuterDisposeScope(),
            attention.MoveToOuterDisposeScope(),
            instances.MoveToOuterDisposeScope()
        );
    }

    protected override (Tensor Logits, Tensor ClassMaps) LogitsAndClassMaps(Tensor bag)
    {
        var (logits, attention, instances) = forward(bag);
        instances.Dispose();
        return (logits, attention);
    }

    public override (Tensor Logits, Tensor? InstanceLoss) TrainingForward(Tensor bag, BagLayout layout, long classIndex)
    {
        var (logits, attention, instances) = forward(bag);
        return (logits, InstanceLoss(attention, instances, classIndex));
    }

    /// <summary>Batches step bag by bag: the instance loss ranks each bag's own patches.</summary>
    public override (Tensor Logits, Tensor?[]? InstanceLosses) TrainingForward(BagBatch batch, long[] classIndices) =>
        BagByBag(batch, classIndices);

    /// <summary>k for a bag of <paramref name="n"/> patches when it is set from the bag size: ⌈√n / 8⌉, at most CLAM's
    /// 8. A fixed 8 of a 400-patch image labels 4 % of it tumour and 4 % normal in every bag, more than small foci
    /// hold.</summary>
    public static int AutoInstanceSamples(int n) => Math.Clamp((int)Math.Ceiling(Math.Sqrt(n) / 8), 1, 8);

    /// <summary>Cross-entropy of the true class's instance classifier on its top-k (label 1) and bottom-k (label 0)
    /// attended patches; null for a bag too small to take any.</summary>
    public Tensor? InstanceLoss(Tensor attention, Tensor instances, long classIndex)
    {
        int n = (int)instances.shape[0],
            k = Math.Min(Spec.InstanceSamples > 0 ? Spec.InstanceSamples : AutoInstanceSamples(n), n / 2);
        if (k < 1)
            return null;
        using var scope = NewDisposeScope();
        var branch = attention[classIndex];
        var top = branch.topk(k).indexes;
        var bottom = branch.neg().topk(k).indexes;
        var chosen = instances.index_select(0, cat([top, bottom]));
        var targets = cat([
            ones(k, dtype: ScalarType.Int64, device: instances.device),
            zeros(k, dtype: ScalarType.Int64, device: instances.device),
        ]);
        int row = (int)(2 * classIndex);
        var weight = instance_classifiers.weight![row..(row + 2)];
        var bias = instance_classifiers.bias![row..(row + 2)];
        return F.cross_entropy(F.linear(chosen, weight, bias), targets).MoveToOuterDisposeScope();
    }
}
