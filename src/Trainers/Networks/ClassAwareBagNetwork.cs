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

    /// <summary>Every class's map, class-major (C × N).</summary>
    public sealed override float[]? ClassMaps(Tensor bag, BagLayout layout)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return LogitsAndClassMaps(bag).ClassMaps.contiguous().data<float>().ToArray();
    }

    public sealed override (float[] Probabilities, float[] Map) Explain(Tensor bag, BagLayout layout)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (logits, classMaps) = LogitsAndClassMaps(bag);
        var probabilities = softmax(logits, 1).squeeze(0).data<float>().ToArray();
        int predicted = Scoring.BagScorer.ArgMax(probabilities);
        return (probabilities, classMaps[predicted].contiguous().data<float>().ToArray());
    }
}
