using Amil.MLNet.Trainers.Networks;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Amil.MLNet.Trainers.Training;

internal sealed partial class TrainingLoop
{
    /// <summary>
    /// Each bag's weighted loss (B) and the B × C logits, from one batched forward pass: a step minimises their mean
    /// (each weighted as in the one-bag loss), so its gradient is the mean of the one-bag gradients. Attention stays
    /// per bag (see <see cref="BagBatch"/>).
    /// </summary>
    internal static (Tensor Losses, Tensor Logits) BatchLosses(
        BagNetwork network,
        IReadOnlyList<LabelledBag> bags,
        Tensor classWeights,
        (Scalar Bag, Scalar Instance) lossWeights,
        bool training
    )
    {
        var inputs = bags.Select(b =>
                tensor(b.Pixels, network.InputShape(b.Layout, b.Pixels.Length), device: network.Device)
            )
            .ToList();
        using var batch = new BagBatch(inputs, bags.Select(b => b.Layout).ToList());
        var classes = bags.Select(b => (long)b.ClassIndex).ToArray();
        using var targets = tensor(classes, device: network.Device);
        var (logits, instanceLosses) = training
            ? network.TrainingForward(batch, classes)
            : (network.Logits(batch), null);
        var bagLosses = F.cross_entropy(logits, targets, reduction: nn.Reduction.None); // B
        if (instanceLosses is not null)
            bagLosses = WithInstanceLosses(bagLosses, instanceLosses, lossWeights);
        return (bagLosses.mul(classWeights.index_select(0, targets)), logits);
    }

    /// <summary>CLAM: w·bag + (1 − w)·instance for each bag that has an instance loss, as in the one-bag
    /// loop.</summary>
    private static Tensor WithInstanceLosses(
        Tensor bagLosses,
        Tensor?[] instanceLosses,
        (Scalar Bag, Scalar Instance) lossWeights
    )
    {
        var rows = new Tensor[instanceLosses.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            var bag = bagLosses[i];
            rows[i] = instanceLosses[i] is { } instance
                ? bag.mul(lossWeights.Bag).add(instance.mul(lossWeights.Instance), Scalars.One)
                : bag;
        }
        return stack(rows, 0);
    }
}
