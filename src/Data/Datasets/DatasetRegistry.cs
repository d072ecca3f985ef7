using System.Text.Json;
using System.Text.RegularExpressions;
using Amil.MLNet.Data.Synthetic;

namespace Amil.MLNet.Data.Datasets;

/// <summary>datasets.json: named dataset entries. Loading validates every entry and reports all problems with their
/// JSON paths.</summary>
public sealed partial class DatasetRegistry
{
    public static readonly string[] Layouts =
    [
        "breakhis",
        "breakhis-kaggle",
        "amil-data",
        "image-folder",
        "bach",
        "synthetic",
        "wsi",
        "camelyon16",
        "camelyon17",
        "bracs",
        "tcga",
        "bach-wsi",
    ];

    private DatasetRegistry(string file, string defaultName, IReadOnlyDictionary<string, DatasetEntry> entries)
    {
        File = file;
        DefaultName = defaultName;
        Entries = entries;
    }

    public string File { get; }
    public string DefaultName { get; }
    public IReadOnlyDictionary<string, DatasetEntry> Entries { get; }

    public DatasetEntry Get(string? name)
    {
        name ??= DefaultName;
        return Entries.TryGetValue(name, out var entry)
            ? entry
            : throw new DatasetException(
                $"No dataset named '{name}' in {File}. Known: {string.Join(", ", Entries.Keys)}. Add it there, or "
                    + "pass --data DIR --layout LAYOUT."
            );
    }

    /// <summary>Folder an entry's relative root resolves against.</summary>
    public string BaseDirectory => Path.GetDirectoryName(Path.GetFullPath(File))!;

    public string ResolveRoot(DatasetEntry entry) => ResolvePath(entry.Root, BaseDirectory);

    public static string ResolvePath(string path, string baseDirectory)
    {
        var expanded = Environment.ExpandEnvironmentVariables(
            EnvVar().Replace(path, m => Environment.GetEnvironmentVariable(m.Groups[1].Value) ?? m.Value)
        );
        if (expanded == "~" || expanded.StartsWith("~/", StringComparison.Ordinal))
            expanded = Path.Combine(
                Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
                expanded.TrimStart('~').TrimStart('/')
            );
        return Path.GetFullPath(Path.IsPathRooted(expanded) ? expanded : Path.Combine(baseDirectory, expanded));
    }

    public static DatasetRegistry Load(string file)
    {
        if (!System.IO.File.Exists(file))
            throw new DatasetException(
                $"{file}: datasets file not found; pass --datasets FILE or run from the repository root."
            );
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(
                System.IO.File.ReadAllText(file),
                new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }
            );
        }
        catch (JsonException e)
        {
            // System.Text.Json counts lines and columns from 0; editors count from 1.
            string reason = e.Message.Split(" LineNumber:")[0].Split(" Path:")[0].TrimEnd(' ', '|', '.');
            string where = e.LineNumber is long line
                ? $" at line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1}"
                : "";
            throw new DatasetException($"{file}: not valid JSON{where}: {reason}.");
        }
        using (doc)
        {
            var problems = new List<string>();
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new DatasetException($"{file}: $ must be an object with \"datasets\".");
            var entries = new Dictionary<string, DatasetEntry>(StringComparer.Ordinal);
            if (!root.TryGetProperty("datasets", out var datasets) || datasets.ValueKind != JsonValueKind.Object)
                problems.Add("$.datasets: required object of named datasets");
            else
                foreach (var property in datasets.EnumerateObject())
                {
                    string at = $"$.datasets.{property.Name}";
                    DatasetEntry? entry = null;
                    try
                    {
                        entry = property.Value.Deserialize<DatasetEntry>();
                    }
                    catch (JsonException e)
                    {
                        problems.Add(
                            $"{at}{(e.Path is { Length: > 1 } p ? p[1..] : "")}: {e.Message.Split(". Path:")[0]}"
                        );
                    }
                    if (entry is null)
                        continue;
                    entry.Name = property.Name;
                    Check(entry, at, problems);
                    entries[property.Name] = entry;
                }
            string defaultName =
                root.TryGetProperty("default", out var d) && d.ValueKind == JsonValueKind.String
                    ? d.GetString()!
                    : entries.Keys.FirstOrDefault() ?? "";
            if (entries.Count > 0 && !entries.ContainsKey(defaultName))
                problems.Add($"$.default: '{defaultName}' is not one of the datasets");
            if (problems.Count > 0)
                throw new DatasetException(
                    $"{file} has {problems.Count} problem(s):\n  " + string.Join("\n  ", problems)
                );
            return new DatasetRegistry(Path.GetFullPath(file), defaultName, entries);
        }
    }

    public static void Check(DatasetEntry e, string at, List<string> problems)
    {
        if (!Layouts.Contains(e.Layout))
            problems.Add($"{at}.layout: '{e.Layout}' is not one of {string.Join(", ", Layouts)}");
        if (string.IsNullOrWhiteSpace(e.Root))
            problems.Add($"{at}.root: required");
        if (e.Task is not null and not ("binary" or "subtype" or "group"))
            problems.Add($"{at}.task: '{e.Task}' must be binary or subtype (BreakHis), or subtype or group (BRACS)");
        if (e.Task == "group" && e.Layout != "bracs")
            problems.Add($"{at}.task: 'group' (BRACS's three lesion groups) needs layout bracs");
        if ((e.Labels ?? e.LabelColumn) is not null && e.Layout != "tcga")
            problems.Add($"{at}: labels and label_column belong to layout tcga (its table of patient labels)");
        if (e.Task == "binary" && e.Layout == "bracs")
            problems.Add($"{at}.task: BRACS's tasks are subtype (7 classes) or group (3)");
        if (e.Magnification is not null and not ("40X" or "100X" or "200X" or "400X" or "all"))
            problems.Add($"{at}.magnification: '{e.Magnification}' must be 40X, 100X, 200X, 400X or all");
        if (e.Split.TestFraction is < 0 or >= 1)
            problems.Add($"{at}.split.test_fraction: {e.Split.TestFraction} must be in [0, 1)");
        if (e.Split.ValidationFraction is < 0 or >= 1)
            problems.Add($"{at}.split.validation_fraction: {e.Split.ValidationFraction} must be in [0, 1)");
        if (!CropSpec.TryParse(e.Patches.Crop, out _))
            problems.Add($"{at}.patches.crop: '{e.Patches.Crop}' must be HxW (e.g. 448x700) or none");
        if (!CropSpec.TryParse(e.Patches.Resize, out _))
            problems.Add($"{at}.patches.resize: '{e.Patches.Resize}' must be HxW (e.g. 460x614) or none");
        if (e.Patches.Size < 16)
            problems.Add($"{at}.patches.size: {e.Patches.Size} must be at least 16");
        if (e.Patches.Stride < 1)
            problems.Add($"{at}.patches.stride: {e.Patches.Stride} must be at least 1");
        if (e.Layout == "synthetic")
        {
            if (e.Synthetic is null)
                problems.Add(
                    $"{at}.synthetic: required for layout synthetic ({{\"kind\": \"breakhis\", \"count\": 240, "
                        + "\"seed\": 1})"
                );
            else
            {
                if (
                    !SyntheticKinds.TryParse(e.Synthetic.Kind, out _)
                    && DatasetReader.SlideSet(e.Synthetic.Kind) is null
                )
                    problems.Add(
                        $"{at}.synthetic.kind: '{e.Synthetic.Kind}' must be one of "
                            + string.Join(
                                ", ",
                                [
                                    .. SyntheticKinds.All,
                                    DatasetReader.SyntheticSlideKind,
                                    DatasetReader.HardSyntheticSlideKind,
                                ]
                            )
                    );
                if (e.Synthetic.Count < 4)
                    problems.Add($"{at}.synthetic.count: {e.Synthetic.Count} must be at least 4");
            }
        }
    }

    [GeneratedRegex(@"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")]
    private static partial Regex EnvVar();
}
