using System.Text.RegularExpressions;

namespace Amil.MLNet.Data.Datasets;

/// <summary>
/// The <c>tcga</c> layout: TCGA slides as the GDC delivers them, <c>.svs</c> files named by their barcode
/// (<c>TCGA-A1-A0SB-01Z-00-DX1.&lt;uuid&gt;.svs</c>), anywhere under the root (the GDC client puts each in a folder of
/// its own). Labels come from the user's table (<c>labels</c>, default <c>labels.csv</c> in the root; comma- or, for
/// <c>.tsv</c>, tab-separated), joined on the patient barcode, the barcode's first 12 characters: its patient column
/// is <c>patient</c>, <c>case_submitter_id</c> (GDC's clinical.tsv), <c>bcr_patient_barcode</c> or
/// <c>submitter_id</c>, and its label column is <c>label_column</c> (default <c>label</c>). Every slide carries its
/// patient, so a patient's slides stay on one side of every split. Slides of normal or control samples (sample type
/// 10–29) are left out, as are slides whose patient has no label; both are counted in the log.
/// </summary>
public static partial class TcgaLayout
{
    /// <summary>The labels table looked for when the entry names none.</summary>
    public const string DefaultLabels = "labels.csv";

    /// <summary>Patient columns recognised, in order of preference.</summary>
    public static readonly IReadOnlyList<string> PatientColumns =
    [
        "patient",
        "case_submitter_id",
        "bcr_patient_barcode",
        "submitter_id",
    ];

    public static IReadOnlyList<ImageRecord> Read(string root, DatasetEntry entry, Action<string>? log = null)
    {
        var table = Path.GetFullPath(entry.Labels ?? DefaultLabels, root);
        var labels = ReadLabels(table, entry.LabelColumn ?? "label", entry.Name);
        var records = new List<ImageRecord>();
        int normal = 0;
        var unlabelled = new HashSet<string>(StringComparer.Ordinal);
        foreach (var slide in Directory.EnumerateFiles(root, "*.svs", SearchOption.AllDirectories))
        {
            var match = Barcode().Match(Path.GetFileName(slide));
            if (!match.Success)
                throw new DatasetException(
                    $"Dataset '{entry.Name}': {slide} is not named by a TCGA barcode (TCGA-XX-XXXX-01Z-00-DX1…); "
                        + "move it out of the root, or list the cohort in the wsi layout's slides.csv."
                );
            string patient = match.Groups[1].Value.ToUpperInvariant();
            if (int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) >= 10)
                normal++;
            else if (labels.TryGetValue(patient, out var label))
                records.Add(new ImageRecord(slide, label, patient));
            else
                unlabelled.Add(patient);
        }
        if (normal > 0)
            log?.Invoke($"Left out {normal} slides of normal or control samples (barcode sample type 10–29).");
        if (unlabelled.Count > 0)
            log?.Invoke(
                $"Left out the slides of {unlabelled.Count} patients with no label in {table} "
                    + $"(e.g. {unlabelled.Order(StringComparer.Ordinal).First()})."
            );
        var withSlides = records.Select(r => r.Patient).ToHashSet(StringComparer.Ordinal);
        int withoutSlides = labels.Keys.Count(p => !withSlides.Contains(p));
        if (withoutSlides > 0)
            log?.Invoke($"{table} labels {withoutSlides} patients with no slide under {root}.");
        return records.Count > 0
            ? [.. records.OrderBy(r => r.Path, StringComparer.Ordinal)]
            : throw new DatasetException(
                $"Dataset '{entry.Name}': no tumour slide under {root} has a label in {table}; the table's "
                    + "patients are joined on the first 12 characters of each slide's barcode (TCGA-XX-XXXX)."
            );
    }

    /// <summary>Patient barcode → label, from the table's patient column and <paramref name="labelColumn"/>; rows
    /// with an empty label (or GDC's "'--" for none) are skipped.</summary>
    private static Dictionary<string, string> ReadLabels(string table, string labelColumn, string dataset)
    {
        if (!File.Exists(table))
            throw new DatasetException(
                $"Dataset '{dataset}': no labels table at {table}; write one with the columns patient and "
                    + $"{labelColumn} (or set \"labels\" and \"label_column\" in datasets.json)."
            );
        char delimiter = CsvLine.Delimiter(table);
        var lines = File.ReadAllLines(table).Where(l => l.Trim().Length > 0).ToList();
        var header = lines.Count > 0 ? CsvLine.Fields(lines[0], delimiter).Select(h => h.Trim()).ToList() : [];
        int patient = PatientColumns
            .Select(c => header.FindIndex(h => h.Equals(c, StringComparison.OrdinalIgnoreCase)))
            .FirstOrDefault(i => i >= 0, -1);
        int label = header.FindIndex(h => h.Equals(labelColumn, StringComparison.OrdinalIgnoreCase));
        if (patient < 0 || label < 0)
            throw new DatasetException(
                $"{table}: the first line must name a patient column ({string.Join(", ", PatientColumns)}) and the "
                    + $"label column '{labelColumn}'; it names {string.Join(", ", header)}."
            );
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (line, number) in lines.Skip(1).Select((l, i) => (l, i + 2)))
        {
            var cells = CsvLine.Fields(line, delimiter).Select(c => c.Trim()).ToList();
            string id = patient < cells.Count ? cells[patient].ToUpperInvariant() : "",
                value = label < cells.Count ? cells[label] : "";
            if (value.Length == 0 || value == "'--")
                continue;
            if (id.Length < 12 || !id.StartsWith("TCGA-", StringComparison.Ordinal))
                throw new DatasetException($"{table}, line {number}: '{id}' is not a TCGA patient barcode.");
            string key = id[..12];
            if (labels.TryGetValue(key, out var earlier) && earlier != value)
                throw new DatasetException(
                    $"{table}, line {number}: patient {key} is labelled both '{earlier}' and '{value}'."
                );
            labels[key] = value;
        }
        return labels;
    }

    /// <summary>A slide barcode: the patient (TCGA-TSS-PPPP) and the sample type (two digits).</summary>
    [GeneratedRegex(@"^(TCGA-[A-Z0-9]{2}-[A-Z0-9]{4})-(\d{2})[A-Z]?-", RegexOptions.IgnoreCase)]
    private static partial Regex Barcode();
}
