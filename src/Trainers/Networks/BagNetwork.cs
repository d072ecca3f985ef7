using Amil.MLNet.Transforms.Bagging;
using TorchSharp;
using static TorchSharp.torch;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>A network that classifies one bag of patches and can explain its prediction as one value per patch (the
/// localization map).</summary>
internal abstract class BagNetwork(string name, NetworkSpec spec) : nn.Module(name)
{
    public NetworkSpec Spec { get; } = spec;

    /// <summary>The CPU kernels the process computes with: the first network built decides them (the self-check),
    /// before any forward pass.</summary>
    public Kernels.CpuKernelCheck CpuKernels { get; } = Kernels.CpuKernels.Current;

    /// <summary>Where the network's weights live; bags are put there before a forward pass.</summary>
    public Device Device { get; private set; } = CPU;

    /// <summary>Moves the weights to <paramref name="device"/> (nothing happens on the CPU).</summary>
    public BagNetwork MoveTo(Device device)
    {
        if (device.type != Device.type || device.index != Device.index)
            this.to(device);
        Device = device;
        return this;
    }

    /// <summary>The network of a saved spec, built by the head that saved it.</summary>
    public static BagNetwork Create(NetworkSpec spec) => Heads.Of(spec).Create(spec);

    /// <summary>Tensor shape of one bag: N × 3 × P × P patches by default.</summary>
    public virtual long[] InputShape(BagLayout layout, int length) =>
        [layout.Count, layout.Channels, layout.PatchSize, layout.PatchSize];

    /// <param name="bag">One bag shaped by <see cref="InputShape"/>.</param>
    /// <returns>1 × C logits.</returns>
    public abstract Tensor Logits(Tensor bag, BagLayout layout);

    /// <summary>What training minimises for one bag: the logits, and an extra instance-level loss for networks that
    /// have one (CLAM). Default: the logits alone.</summary>
    public virtual (Tensor Logits, Tensor? InstanceLoss) TrainingForward(
        Tensor bag,
        BagLayout layout,
        long classIndex
    ) => (Logits(bag, layout), null);

    /// <summary>B × C logits of a batch of bags. Default: one bag after the other, which is right for every network;
    /// networks that can override it to encode all patches of the batch at once.</summary>
    public virtual Tensor Logits(BagBatch batch)
    {
        using var scope = NewDisposeScope();
        var rows = batch.Bags.Select((bag, i) => Logits(bag, batch.Layouts[i])).ToArray();
        return cat(rows, 0).MoveToOuterDisposeScope();
    }

    /// <summary>The batched <see cref="TrainingForward(Tensor, BagLayout, long)"/>: B × C logits and, for networks
    /// with an instance loss, each bag's (null for a bag too small to have one). Default: the logits alone, as for
    /// one bag.</summary>
    public virtual (Tensor Logits, Tensor?[]? InstanceLosses) TrainingForward(BagBatch batch, long[] classIndices) =>
        (Logits(batch), null);

    /// <summary>Class probabilities and one localization value per patch (grid row-major), for a network in eval
    /// mode.</summary>
    public abstract (float[] Probabilities, float[] Map) Explain(Tensor bag, BagLayout layout);

    /// <summary><see cref="Explain"/> plus, for class-aware networks, every class's map (C × N, class-major) from
    /// the same forward pass; null for networks whose map is not per class.</summary>
    public virtual (float[] Probabilities, float[] Map, float[]? ClassMaps) ExplainAll(Tensor bag, BagLayout layout)
    {
        var (probabilities, map) = Explain(bag, layout);
        return (probabilities, map, null);
    }

    /// <summary>All parameters, flattened in registration order (the saved form).</summary>
    public float[] ExportWeights()
    {
        var parts = parameters().Select(p => p.detach().cpu().data<float>().ToArray()).ToList();
        var all = new float[parts.Sum(p => p.Length)];
        int offset = 0;
        foreach (var part in parts)
        {
            part.CopyTo(all, offset);
            offset += part.Length;
        }
        return all;
    }

    public void ImportWeights(ReadOnlySpan<float> weights)
    {
        long expected = parameters().Sum(p => p.numel());
        if (weights.Length != expected)
            throw new InvalidDataException(
                $"The saved network has {weights.Length} weights; a network of this shape needs {expected}. The "
                    + "model file is damaged or from another version."
            );
        using var _ = no_grad();
        int offset = 0;
        foreach (var p in parameters())
        {
            int n = (int)p.numel();
            using var source = tensor(weights.Slice(offset, n).ToArray(), p.shape);
            p.copy_(source);
            offset += n;
        }
    }
}
