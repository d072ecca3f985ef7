namespace Amil.MLNet.Data.Datasets;

/// <summary>
/// The <c>bracs</c> layout: BRACS's whole slides as distributed, <c>{train,val,test}/Group_G/Type_T/*.svs</c> (the
/// root may be the <c>BRACS_WSI</c> folder or the one above it; <c>training</c>, <c>validation</c> and
/// <c>testing</c> are read as well). The class is the subtype, <c>Type_T</c>'s T (N, PB, UDH, FEA, ADH, DCIS, IC), or
/// with task <c>group</c> the lesion group (benign, atypical, malignant from Group_BT, Group_AT, Group_MT). The
/// official split is kept. A type folder in the wrong group, or an unknown one, stops with its path.
/// </summary>
public static class BracsLayout
{
    /// <summary>The seven subtypes by group, as the folders name them.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Groups = new Dictionary<string, string[]>
    {
        ["BT"] = ["N", "PB", "UDH"],
        ["AT"] = ["FEA", "ADH"],
        ["MT"] = ["DCIS", "IC"],
    };

    /// <summary>The class names of task <c>group</c>.</summary>
    public static readonly IReadOnlyDictionary<string, string> GroupNames = new Dictionary<string, string>
    {
        ["BT"] = "benign",
        ["AT"] = "atypical",
        ["MT"] = "malignant",
    };

    private static readonly (string Split, string[] Names)[] Splits =
    [
        ("train", ["train", "training"]),
        ("val", ["val", "validation"]),
        ("test", ["test", "testing"]),
    ];

    public static IReadOnlyList<ImageRecord> Read(string root, DatasetEntry entry)
    {
        if (Directory.Exists(Path.Combine(root, "BRACS_WSI")))
            root = Path.Combine(root, "BRACS_WSI");
        bool byGroup = entry.Task == "group";
        var records = new List<ImageRecord>();
        foreach (var (split, names) in Splits)
        foreach (var folder in names.Select(n => Path.Combine(root, n)).Where(Directory.Exists))
        foreach (var slide in Directory.EnumerateFiles(folder, "*.svs", SearchOption.AllDirectories))
        {
            var (group, type) = Classes(folder, slide);
            records.Add(new ImageRecord(slide, byGroup ? GroupNames[group] : type, Split: split));
        }
        if (records.Count == 0)
            throw new DatasetException(
                $"Dataset '{entry.Name}' ({root}): no train/Group_*/Type_*/*.svs; point the root at BRACS_WSI as "
                    + "downloaded (it holds train/, val/ and test/)."
            );
        return [.. records.OrderBy(r => r.Path, StringComparer.Ordinal)];
    }

    /// <summary>A slide's group and subtype from its Group_G/Type_T folders under the split folder.</summary>
    private static (string Group, string Type) Classes(string splitFolder, string slide)
    {
        var parts = Path.GetRelativePath(splitFolder, slide).Split(Path.DirectorySeparatorChar);
        string? group =
            parts.Length == 3 && parts[0].StartsWith("Group_", StringComparison.Ordinal) ? parts[0][6..] : null;
        string? type =
            parts.Length == 3 && parts[1].StartsWith("Type_", StringComparison.Ordinal) ? parts[1][5..] : null;
        if (group is null || type is null || !Groups.TryGetValue(group, out var types) || !types.Contains(type))
            throw new DatasetException(
                $"{slide}: not in a BRACS class folder (Group_BT/Type_N|PB|UDH, Group_AT/Type_FEA|ADH or "
                    + "Group_MT/Type_DCIS|IC); move it, or use the wsi layout for other folders."
            );
        return (group, type);
    }
}
