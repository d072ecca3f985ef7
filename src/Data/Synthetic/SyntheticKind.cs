namespace Amil.MLNet.Data.Synthetic;

/// <summary>Which synthetic dataset to write.</summary>
public enum SyntheticKind
{
    /// <summary>Binary benign/malignant, written in the BreakHis folder layout (40X).</summary>
    BreakHis,

    /// <summary>Four classes (normal, benign, in situ, invasive), written in the BACH layout as RGB TIFF
    /// (ICIAR2018_BACH_Challenge/Photos/&lt;Class&gt;/*.tif with microscopy_ground_truth.csv).</summary>
    Bach,

    /// <summary>Binary, BreakHis layout, made hard on purpose (see <see cref="HardCases"/>): small tumour foci,
    /// benign mimics, per-patient stain and blur, about 31 % benign.</summary>
    BreakHisHard,
}

/// <summary>The names datasets.json and the command line use for <see cref="SyntheticKind"/>.</summary>
public static class SyntheticKinds
{
    private static readonly (SyntheticKind Kind, string Name)[] Names =
    [
        (SyntheticKind.BreakHis, "breakhis"),
        (SyntheticKind.Bach, "bach"),
        (SyntheticKind.BreakHisHard, "breakhis-hard"),
    ];

    /// <summary>Every accepted name, in a stable order.</summary>
    public static IReadOnlyList<string> All { get; } = Names.Select(n => n.Name).ToArray();

    public static string Name(SyntheticKind kind) => Names.First(n => n.Kind == kind).Name;

    public static bool TryParse(string? name, out SyntheticKind kind)
    {
        foreach (var n in Names)
            if (string.Equals(n.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                kind = n.Kind;
                return true;
            }
        kind = default;
        return false;
    }

    /// <summary>Whether the kind is written in the BACH layout (otherwise the BreakHis layout).</summary>
    public static bool IsBach(SyntheticKind kind) => kind == SyntheticKind.Bach;
}
