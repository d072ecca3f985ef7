using System.Globalization;
using System.Text;
using Amil.MLNet.Transforms;

namespace Amil.MLNet.Data.Datasets;

/// <summary>
/// A split as a CSV file a person can read, edit and reuse (as CLAM's splits are): one row per item,
/// <c>path,label,patient,part</c>, the path relative to the dataset's root and part train, validation or test. A
/// file read back must name items of the dataset with their labels, each once, and keep every patient on one side.
/// </summary>
public static class SplitFile
{
    public const string Header = "path,label,patient,part";

    /// <summary>Writes <paramref name="split"/> (atomically).</summary>
    public static void Write(string path, string root, DatasetSplit split)
    {
        var text = new StringBuilder(Header).Append('\n');
        foreach (var (part, items) in split.Parts)
        foreach (var r in items)
            text.Append(
                    CultureInfo.InvariantCulture,
                    $"{Field(Relative(root, r.Path))},{Field(r.Label)},{Field(r.Patient ?? "")},{part}"
                )
                .Append('\n');
        AtomicFile.WriteText(path, text.ToString());
    }

    /// <summary>The split a file names, out of the dataset's <paramref name="records"/>; items of the dataset the file
    /// leaves out are in no part.</summary>
    /// <exception cref="DatasetException">The file is not a split of this dataset: the message names the line and
    /// what is wrong.</exception>
    public static DatasetSplit Read(string path, string root, IReadOnlyList<ImageRecord> records)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such split file.", path);
        var byPath = records.ToDictionary(r => Relative(root, r.Path), StringComparer.Ordinal);
        var parts = DatasetSplit.PartNames.ToDictionary(p => p, _ => new List<ImageRecord>());
        var patientPart = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0].Trim() != Header)
            throw new DatasetException($"{path}: the first line must be '{Header}'.");
        for (int n = 1; n < lines.Length; n++)
        {
            if (lines[n].Trim().Length == 0)
                continue;
            string Where() => $"{path}, line {n + 1}";
            var fields = CsvLine.Fields(lines[n]);
            if (fields.Count != 4)
                throw new DatasetException($"{Where()}: {fields.Count} fields; expected 4 ({Header}).");
            var (item, label, part) = (fields[0], fields[1], fields[3]);
            if (!byPath.TryGetValue(item, out var record))
                throw new DatasetException($"{Where()}: '{item}' is not an item of the dataset under {root}.");
            if (record.Label != label)
                throw new DatasetException(
                    $"{Where()}: '{item}' is labelled '{label}' here but '{record.Label}' in the dataset."
                );
            if (!parts.TryGetValue(part, out var list))
                throw new DatasetException($"{Where()}: part '{part}'; expected train, validation or test.");
            if (!seen.Add(item))
                throw new DatasetException($"{Where()}: '{item}' is listed twice.");
            if (record.Patient is { } patient)
            {
                if (patientPart.TryGetValue(patient, out var other) && other != part)
                    throw new DatasetException(
                        $"{Where()}: patient '{patient}' is in {other} and in {part}; a patient's images must stay "
                            + "on one side, or the test figures leak."
                    );
                patientPart[patient] = part;
            }
            list.Add(record);
        }
        if (parts["train"].Count == 0)
            throw new DatasetException($"{path}: no training items.");
        return new DatasetSplit(parts["train"], parts["validation"], parts["test"]);
    }

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');

    /// <summary>A CSV field, quoted when it holds a comma, a quote or a line break.</summary>
    private static string Field(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"")}\"" : value;
}
