using Amil.MLNet.Trainers.Networks;

namespace Amil.MLNet.Trainers;

/// <summary>Every head the library knows, one line each: the command line's choices, <c>study</c>'s methods,
/// <c>bench --slide-heads</c> and loading a saved network all read this list.</summary>
public static class Heads
{
    /// <summary>Tanh attention (Ilse et al. 2018), the default.</summary>
    public static Head Attention { get; } = new AttentionHead();

    /// <summary>Every head, in the order tables list them.</summary>
    public static IReadOnlyList<Head> All { get; } =
    [
        Attention,
        new GatedAttentionHead(),
        new AdditiveHead(),
        new ClamHead(),
        new CnnBaselineHead(),
        new DsmilHead(),
        new TransMilHead(),
    ];

    /// <summary>The names, e.g. for a command line's choices.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(h => h.Name).ToArray();

    /// <summary>The MIL pooling heads (every head but the CNN baseline).</summary>
    public static IReadOnlyList<Head> Pooling { get; } = All.Where(h => h.Pools).ToArray();

    /// <summary>The head of this name (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No head has this name; the message lists the names.</exception>
    public static Head Find(string name) =>
        All.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"'{name}' is not a head; use {string.Join(", ", Names)}.");

    /// <summary>The head a trainer's options ask for: their pooling head, or the CNN baseline.</summary>
    internal static Head Of(NetworkArchitecture architecture, Head pooling) =>
        architecture == NetworkArchitecture.CnnBaseline ? All.First(h => !h.Pools) : pooling;

    /// <summary>The head that saved a network's spec.</summary>
    /// <exception cref="InvalidDataException">No head saves this spec (a newer or damaged file).</exception>
    internal static Head Of(NetworkSpec spec) =>
        All.FirstOrDefault(h => h.Saved(spec))
        ?? throw new InvalidDataException(
            $"Unknown MIL head {(int)spec.Head} of a {spec.Architecture} network; the model is damaged or from a "
                + "newer version of Amil.MLNet."
        );
}
