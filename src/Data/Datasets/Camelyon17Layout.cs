using System.Text.RegularExpressions;
using Amil.MLNet.Maps.Metrics;

namespace Amil.MLNet.Data.Datasets;

/// <summary>
/// The <c>camelyon17</c> layout: CAMELYON17 as distributed. Slides are <c>patient_NNN_node_N.tif</c> anywhere under
/// the root (the download keeps them in <c>training/center_C/</c>). <c>stage_labels.csv</c> (in <c>training/</c> or
/// the root; header <c>patient,stage</c>) labels each node <c>patient_NNN_node_N.tif,negative|itc|micro|macro</c> and
/// each patient <c>patient_NNN.zip,pN0|pN0(i+)|pN1mi|pN1|pN2</c>. Nodes are the items, their label the class, their
/// patient the group every split keeps together. Lesion outlines are ASAP XML, <c>patient_NNN_node_N.xml</c> in
/// <c>training/lesion_annotations/</c> or <c>lesion_annotations/</c>. Slides the table does not label (the test
/// patients, whose labels are not public) are left out and counted; nodes the table lists without a file are
/// counted too; a patient stage that disagrees with their nodes' labels under the challenge's rules is named.
/// </summary>
public static partial class Camelyon17Layout
{
    public const string Training = "training",
        Labels = "stage_labels.csv",
        Annotations = "lesion_annotations";

    /// <summary>The labels found in stage_labels.csv: each node's label, each patient's stated stage.</summary>
    public sealed record StageLabels(
        IReadOnlyDictionary<string, string> Nodes,
        IReadOnlyDictionary<string, string> Stages
    );

    public static IReadOnlyList<ImageRecord> Read(string root, DatasetEntry entry, Action<string>? log = null)
    {
        var table =
            new[] { Path.Combine(root, Training, Labels), Path.Combine(root, Labels) }.FirstOrDefault(File.Exists)
            ?? throw new DatasetException(
                $"Dataset '{entry.Name}' ({root}): no {Labels} in {Training}/ or the root; point the root at the "
                    + $"CAMELYON17 folder that holds {Training}/ as downloaded."
            );
        var labels = ReadLabels(table);
        var records = new List<ImageRecord>();
        var unlabelled = new List<string>();
        foreach (var slide in SlideLayout.CamelyonTiffs(root, Annotations))
        {
            string id = SlideLayout.SlideId(slide);
            if (PatientOf(id) is not { } patient)
                throw new DatasetException(
                    $"Dataset '{entry.Name}': {slide} is not named patient_NNN_node_N.tif; CAMELYON17's slides are "
                        + "named by patient and node. Move it out of the root."
                );
            if (labels.Nodes.TryGetValue(id, out var label))
                records.Add(new ImageRecord(slide, label, patient, MaskPath: Annotation(root, id)));
            else
                unlabelled.Add(patient);
        }
        Report(entry, table, labels, records, unlabelled, log);
        if (records.All(r => r.MaskPath is null) && ZippedAnnotations(root) is { } zip)
            log?.Invoke($"{zip} is not unpacked: unzip it beside itself to use the lesion outlines.");
        return records.Count > 0
            ? records
            : throw new DatasetException(
                $"Dataset '{entry.Name}': no slide under {root} is labelled in {table}; the labelled nodes are "
                    + "CAMELYON17's training patients (patient_000 to patient_099)."
            );
    }

    /// <summary>The patient of a slide id <c>patient_NNN_node_N</c> (<c>patient_NNN</c>), or null for another
    /// name.</summary>
    public static string? PatientOf(string slideId) =>
        NodeName().Match(slideId) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>Reads stage_labels.csv: a header (<c>patient,stage</c>), then one row per patient
    /// (<c>patient_NNN.zip</c>) and per node (<c>patient_NNN_node_N.tif</c>).</summary>
    public static StageLabels ReadLabels(string path)
    {
        var nodes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var stages = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (line, number) in File.ReadAllLines(path).Select((l, i) => (l.Trim(), i + 1)))
        {
            var cells = line.Split(',').Select(c => c.Trim()).ToArray();
            if (line.Length == 0 || (number == 1 && cells[0].Equals("patient", StringComparison.OrdinalIgnoreCase)))
                continue;
            string name = Path.GetFileNameWithoutExtension(cells[0]),
                value = cells.Length > 1 ? cells[1] : "";
            if (PatientOf(name) is not null && NodeStaging.NodeClasses.Contains(value.ToLowerInvariant()))
                nodes[name] = value.ToLowerInvariant();
            else if (PatientName().IsMatch(name) && NodeStaging.StageIndex(value) >= 0)
                stages[name] = NodeStaging.Stages[NodeStaging.StageIndex(value)];
            else
                throw new DatasetException(
                    $"{path}, line {number}: expected 'patient_NNN_node_N.tif,negative|itc|micro|macro' or "
                        + $"'patient_NNN.zip,{string.Join("|", NodeStaging.Stages)}', got '{line}'."
                );
        }
        return new StageLabels(nodes, stages);
    }

    /// <summary>Logs what the table and the folder disagree on: unlabelled slides, listed nodes without a file, and
    /// stated stages their nodes do not give.</summary>
    private static void Report(
        DatasetEntry entry,
        string table,
        StageLabels labels,
        IReadOnlyList<ImageRecord> records,
        IReadOnlyList<string> unlabelled,
        Action<string>? log
    )
    {
        if (log is null)
            return;
        if (unlabelled.Count > 0)
            log(
                $"Left out {unlabelled.Count} slides of {unlabelled.Distinct().Count()} patients that {Labels} does "
                    + "not label (CAMELYON17's test patients; their labels are not public): score them with predict."
            );
        var found = records.Select(r => SlideLayout.SlideId(r.Path)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var missing = labels.Nodes.Keys.Where(n => !found.Contains(n)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
            log(
                $"{table} labels {missing.Count} nodes with no slide under the root (e.g. {missing[0]}.tif); "
                    + "their patients are staged from the nodes present."
            );
        var derived = NodeStaging.ByPatient(labels.Nodes.Select(n => (PatientOf(n.Key)!, n.Value)));
        foreach (var patient in records.Select(r => r.Patient!).Distinct().Order(StringComparer.Ordinal))
            if (labels.Stages.TryGetValue(patient, out var stated) && stated != derived[patient])
                log(
                    $"Dataset '{entry.Name}': {table} gives {patient} stage {stated}, but its node labels give "
                        + $"{derived[patient]} under CAMELYON17's rules; staging results use the rule."
                );
    }

    private static string? Annotation(string root, string id) =>
        new[]
        {
            Path.Combine(root, Training, Annotations, id + ".xml"),
            Path.Combine(root, Annotations, id + ".xml"),
        }.FirstOrDefault(File.Exists);

    private static string? ZippedAnnotations(string root) =>
        new[]
        {
            Path.Combine(root, Training, Annotations + ".zip"),
            Path.Combine(root, Annotations + ".zip"),
        }.FirstOrDefault(File.Exists);

    [GeneratedRegex(@"^(patient_\d+)_node_\d+$", RegexOptions.IgnoreCase)]
    private static partial Regex NodeName();

    [GeneratedRegex(@"^patient_\d+$", RegexOptions.IgnoreCase)]
    private static partial Regex PatientName();
}
