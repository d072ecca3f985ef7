using Amil.MLNet.Transforms.Bagging;
using static TorchSharp.torch;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>
/// Several bags stepped together (a GPU wastes most of its time on one bag of 400 patches). The encoder sees every
/// patch of every bag at once (<see cref="Packed"/>); attention is computed per bag over bags padded to the longest
/// one, with the padding masked out, so each bag's prediction is what it would be alone.
/// </summary>
internal sealed class BagBatch : IDisposable
{
    private Tensor? _packed;

    /// <param name="bags">One tensor per bag, shaped by <see cref="BagNetwork.InputShape"/> (patches first); the
    /// batch owns them.</param>
    public BagBatch(IReadOnlyList<Tensor> bags, IReadOnlyList<BagLayout> layouts)
    {
        if (bags.Count == 0 || bags.Count != layouts.Count)
            throw new ArgumentException("A batch needs at least one bag and one layout per bag.");
        Bags = bags;
        Layouts = layouts;
        Sizes = bags.Select(b => b.shape[0]).ToArray();
    }

    public IReadOnlyList<Tensor> Bags { get; }
    public IReadOnlyList<BagLayout> Layouts { get; }

    /// <summary>Patches per bag.</summary>
    public long[] Sizes { get; }

    public int Count => Bags.Count;

    /// <summary>Every bag's patches, one after the other (ΣN × …). Made once and owned by the batch, not by the
    /// dispose scope it was first asked in, so a batch can be stepped again (the benchmark does).</summary>
    public Tensor Packed =>
        _packed ??= (Count == 1 ? Bags[0].alias() : cat(Bags.ToArray(), 0)).DetachFromDisposeScope();

    /// <summary>Per-patch rows of <see cref="Packed"/> (ΣN × L) as B × N_max × L, zero-padded, with the B × N_max
    /// mask of real patches (null when every bag has the same size: nothing to mask).</summary>
    public (Tensor Padded, Tensor? Valid) Pad(Tensor packedRows)
    {
        long longest = Sizes.Max();
        if (Sizes.All(s => s == longest))
            return (packedRows.reshape(Count, longest, packedRows.shape[1]), null);
        using var scope = NewDisposeScope();
        var parts = packedRows
            .split(Sizes, 0)
            .Select(part => nn.functional.pad(part, [0, 0, 0, longest - part.shape[0]]))
            .ToArray();
        var padded = stack(parts, 0);
        var valid = arange(longest, device: packedRows.device)
            .unsqueeze(0)
            .lt(tensor(Sizes, device: packedRows.device).unsqueeze(1));
        return (padded.MoveToOuterDisposeScope(), valid.MoveToOuterDisposeScope());
    }

    public void Dispose()
    {
        _packed?.Dispose();
        foreach (var bag in Bags)
            bag.Dispose();
    }
}
