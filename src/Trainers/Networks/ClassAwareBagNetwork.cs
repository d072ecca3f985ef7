using Amil.MLNet.Transforms.Bagging;
using static TorchSharp.torch;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>A MIL network with one map per class (additive contributions, CLAM attention branches): its map is the
/// predicted class's, and every class's map can be asked for.</summary>
internal abstract class ClassAwareBagNetwork(string name, NetworkSpec spec) : BagNetwork(name, spec)
{
    public sealed override long[] InputShape(BagLayout layout, int length) =>
        InstanceEncoder.InputShape(Spec, layout, length);

    /// <returns>1 × C logits and the C × N class maps.</returns>
    protected abstract (Tensor Logits, Tensor ClassMaps) LogitsAndClassMaps(Tensor bag);

    public sealed override Tensor Logits(Tensor bag, BagLayout layout)
    {
        var (logits, classMaps) = LogitsAndClassMaps(bag);
        classMaps.Dispose();
        return logits;
    }

    public sealed override (float[] Probabilities, float[] Map) Explain(Tensor bag, BagLayout layout)
    {
        var (probabilities, map, _) = ExplainAll(bag, layout);
        return (probabilities, map);
    }

    /// <summary>A batch's training forward one bag after the other, for heads whose instance loss depends on each
    /// bag's own ranking (CLAM's top-k, DSMIL's critical instance): B × C logits and each bag's instance
    /// loss.</summary>
    protected (Tensor Logits, Tensor?[]? InstanceLosses) BagByBag(BagBatch batch, long[] classIndices)
    {
        var logits = new Tensor[batch.Count];
        var instanceLosses = new Tensor?[batch.Count];
        for (int i = 0; i < batch.Count; i++)
            (logits[i], instanceLosses[i]) = TrainingForward(batch.Bags[i], batch.Layouts[i], classIndices[i]);
        var all = cat(logits, 0);
        foreach (var row in logits)
            row.Dispose();
        return (all, instanceLosses.Any(l => l is not null) ? instanceLosses : null);
    }

    /// <summary>One forward pass: probabilities, the predicted class's map and every class's map (C × N).</summary>
    public sealed override (float[] Probabilities, float[] Map, float[]? ClassMaps) ExplainAll(
        Tensor bag,
        BagLayout layout
    )
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (logits, classMaps) = LogitsAndClassMaps(bag);
        var probabilities = softmax(logits, 1).squeeze(0).cpu().data<float>().ToArray();
        int predicted = Scoring.BagScorer.ArgMax(probabilities);
        var all = classMaps.contiguous().cpu().data<float>().ToArray();
        int n = all.Length / probabilities.Length;
        return (probabilities, all[(predicted * n)..((predicted + 1) * n)], all);
    }
}
