using Amil.MLNet.Data.Datasets;

namespace Amil.MLNet.Application.Jobs;

/// <summary>`datasets list`: every dataset of datasets.json with where it lives and what it holds.</summary>
public static class DatasetListJob
{
    /// <summary>One dataset: its name, layout and root, whether the root exists, and its classes' counts (or why
    /// they cannot be read, or that it is generated on first use).</summary>
    public sealed record Row(string Name, bool IsDefault, string Layout, string Root, bool Found, string Counts);

    public static IReadOnlyList<Row> Run(string? datasetsFile)
    {
        var registry = DatasetRegistry.Load(new DatasetSelection(DatasetsFile: datasetsFile).FindDatasetsFile());
        var rows = new List<Row>();
        foreach (var entry in registry.Entries.Values)
        {
            var root = registry.ResolveRoot(entry);
            bool found = Directory.Exists(root);
            string counts =
                found ? Counts(entry, root)
                : entry.Layout == "synthetic" ? "generated on first use"
                : "";
            rows.Add(new Row(entry.Name, entry.Name == registry.DefaultName, entry.Layout, root, found, counts));
        }
        return rows;
    }

    private static string Counts(DatasetEntry entry, string root)
    {
        try
        {
            var records = DatasetReader.ReadItems(entry, root);
            return string.Join(
                ", ",
                records.GroupBy(x => x.Label).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")
            );
        }
        catch (DatasetException e)
        {
            return "unreadable: " + e.Message;
        }
    }
}
