using Amil.MLNet.Data.Datasets;

namespace Amil.MLNet.Application;

/// <summary>Which dataset a command works on: a datasets.json entry, or an ad-hoc folder and layout.</summary>
public sealed record DatasetSelection(
    string? Name = null,
    string? DatasetsFile = null,
    string? DataDirectory = null,
    string? Layout = null
)
{
    public const string DefaultFileName = "datasets.json";

    /// <summary>The entry and its resolved root folder.</summary>
    public (DatasetEntry Entry, string Root) Resolve()
    {
        if (DataDirectory is not null)
        {
            if (Name is not null)
                throw new DatasetException("Pass either --dataset NAME or --data DIR --layout LAYOUT, not both.");
            var layout =
                Layout
                ?? throw new DatasetException(
                    "--data needs --layout "
                        + $"({string.Join(", ", DatasetRegistry.Layouts.Where(l => l != "synthetic"))})."
                );
            var entry = new DatasetEntry
            {
                Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(DataDirectory)),
                Layout = layout,
                Root = DataDirectory,
            };
            var problems = new List<string>();
            DatasetRegistry.Check(entry, "--layout", problems);
            if (layout == "synthetic")
                problems.Add(
                    "--layout synthetic: generate the data with the synth command, then use --layout breakhis or "
                        + "image-folder"
                );
            if (problems.Count > 0)
                throw new DatasetException(string.Join("; ", problems));
            return (entry, DatasetRegistry.ResolvePath(DataDirectory, Directory.GetCurrentDirectory()));
        }
        if (Layout is not null)
            throw new DatasetException("--layout only applies with --data DIR.");
        var registry = DatasetRegistry.Load(FindDatasetsFile());
        var chosen = registry.Get(Name);
        return (chosen, registry.ResolveRoot(chosen));
    }

    /// <summary>--datasets FILE, else datasets.json in the current folder or the nearest folder above it.</summary>
    public string FindDatasetsFile()
    {
        if (DatasetsFile is not null)
            return DatasetsFile;
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, DefaultFileName);
            if (File.Exists(candidate))
                return candidate;
        }
        throw new DatasetException(
            $"No {DefaultFileName} in {Directory.GetCurrentDirectory()} or above; run from the repository root, "
                + "pass --datasets FILE, or use --data DIR --layout LAYOUT."
        );
    }
}
