using Amil.MLNet.Trainers.Networks;

namespace Amil.MLNet.Trainers;

/// <summary>
/// One way to turn a bag into a prediction and a localization map: a MIL pooling head (attention, gated, additive,
/// CLAM, DSMIL, TransMIL) or the whole-image CNN baseline. A head declares everything the rest of the library asks of
/// it — its name on the command line and in studies, whether it pools instances, its map and whether that map
/// is per class, the network it builds, how it is saved and how its loss is weighed — so adding one is its own file
/// and one line in <see cref="Heads"/>.
/// </summary>
public abstract class Head
{
    private protected Head() { }

    /// <summary>The name on the command line (<c>--pooling</c>, <c>study --method</c>), in run folders and in
    /// tables, e.g. "attention" or "clam".</summary>
    public abstract string Name { get; }

    /// <summary>One sentence for help texts and docs.</summary>
    public abstract string Summary { get; }

    /// <summary>Whether the head pools a bag's instances, so the trainer's <see cref="AttentionMilOptions.Pooling"/>
    /// can be it: every MIL head; not the CNN baseline, which sees the whole image.</summary>
    public virtual bool Pools => true;

    /// <summary>What the head's map is.</summary>
    public abstract MapKind Map { get; }

    /// <summary>Whether the map depends on the class (so a tumour-free call fades it by construction).</summary>
    public bool IsClassAware => Map.IsClassAware();

    /// <summary>Whether the head keeps a map for every class, so any class's map can be read.</summary>
    public bool HasClassMaps => Map.HasClassMaps();

    /// <summary>Whether the head trains on tile features of whole slides (the CNN baseline needs the image).</summary>
    public virtual bool TrainsOnSlides => true;

    /// <summary>The head's id in a saved network's spec, never reused, so models saved by earlier versions find their
    /// head. With the gate flag and the architecture it names exactly one head (<c>HeadRegistryTests</c>).</summary>
    internal abstract int SavedId { get; }

    /// <summary>Whether the saved spec says gated attention.</summary>
    internal virtual bool Gated => false;

    /// <summary>The network of a spec this head saved.</summary>
    internal abstract BagNetwork Create(NetworkSpec spec);

    /// <summary>The head's part of a new network's spec, from the trainer's options.</summary>
    internal virtual NetworkSpec Configure(NetworkSpec spec, AttentionMilOptions options) =>
        spec with
        {
            Head = SavedId,
            Gated = Gated,
        };

    /// <summary>The share of the loss that is the bag's cross-entropy (the rest is the head's instance loss); 1 for
    /// heads with a bag loss only.</summary>
    internal virtual double BagLossShare(AttentionMilOptions options) => 1;

    /// <summary>Whether a saved spec is this head's.</summary>
    internal virtual bool Saved(NetworkSpec spec) =>
        spec.Architecture != NetworkArchitecture.CnnBaseline && spec.Head == SavedId && spec.Gated == Gated;

    /// <inheritdoc/>
    public override string ToString() => Name;
}
