using Amil.MLNet.Data.Datasets;

namespace Amil.MLNet.Application;

/// <summary>
/// External validation: a dataset's class names put onto a model's, so a model can be evaluated on data it never saw
/// whose folders or tables name the classes differently. A class the user maps goes where they say; one with the
/// model's name (ignoring case, spaces, dashes and underscores) goes to that class; any other stops with the list of
/// classes left and an example mapping. A dataset may hold fewer classes than the model.
/// </summary>
public static class ClassMapping
{
    /// <summary>Parses "theirs=ours,theirs2=ours2" (as the CLI takes it).</summary>
    /// <exception cref="ArgumentException">A pair is not NAME=CLASS, or a name is mapped twice.</exception>
    public static IReadOnlyDictionary<string, string> Parse(string text)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = pair.Split('=', StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                throw new ArgumentException(
                    $"Class map entry '{pair}' is not DATASET_CLASS=MODEL_CLASS (e.g. tumor=malignant)."
                );
            if (!map.TryAdd(parts[0], parts[1]))
                throw new ArgumentException($"Class map names dataset class '{parts[0]}' twice.");
        }
        return map;
    }

    /// <summary>The dataset class → model class pairs for every label of <paramref name="items"/> that is not
    /// already a model class (empty when the names agree).</summary>
    /// <exception cref="DatasetException">A mapping names no model class, or a dataset class has no match.</exception>
    public static IReadOnlyDictionary<string, string> Resolve(
        IReadOnlyList<ImageRecord> items,
        IReadOnlyList<string> modelClasses,
        IReadOnlyDictionary<string, string>? given,
        string dataset
    )
    {
        foreach (var (theirs, ours) in given ?? new Dictionary<string, string>())
            if (!modelClasses.Contains(ours))
                throw new DatasetException(
                    $"The class map sends '{theirs}' to '{ours}', which is not one of the model's classes "
                        + $"({string.Join(", ", modelClasses)})."
                );
        var resolved = new Dictionary<string, string>(StringComparer.Ordinal);
        var unknown = new List<(string Class, int Count)>();
        foreach (var group in items.GroupBy(r => r.Label, StringComparer.Ordinal).OrderBy(g => g.Key))
        {
            string label = group.Key;
            if (given?.GetValueOrDefault(label) is { } mapped)
                resolved[label] = mapped;
            else if (modelClasses.Contains(label))
                continue;
            else if (modelClasses.FirstOrDefault(c => ClassNames.Plain(c) == ClassNames.Plain(label)) is { } same)
                resolved[label] = same;
            else
                unknown.Add((label, group.Count()));
        }
        if (unknown.Count > 0)
            throw new DatasetException(
                $"Dataset '{dataset}' has classes the model does not know: "
                    + string.Join(", ", unknown.Select(u => $"'{u.Class}' ({u.Count})"))
                    + $". The model's classes are {string.Join(", ", modelClasses)}; map each by name, e.g. "
                    + $"--class-map {unknown[0].Class}={modelClasses[^1]}."
            );
        return resolved;
    }

    /// <summary>The items with their labels renamed by <paramref name="map"/>.</summary>
    public static IReadOnlyList<ImageRecord> Apply(
        IReadOnlyList<ImageRecord> items,
        IReadOnlyDictionary<string, string> map
    ) =>
        map.Count == 0 ? items : [.. items.Select(r => map.TryGetValue(r.Label, out var c) ? r with { Label = c } : r)];
}
