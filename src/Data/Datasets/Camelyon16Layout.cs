using Amil.MLNet.Slides;

namespace Amil.MLNet.Data.Datasets;

/// <summary>
/// The <c>camelyon16</c> layout: CAMELYON16 as distributed. Training slides are <c>training/normal/normal_NNN.tif</c>
/// and <c>training/tumor/tumor_NNN.tif</c> (or the same names flat under <c>training/</c>), labelled by their name.
/// Test slides are <c>testing/images/test_NNN.tif</c>, labelled by <c>testing/reference.csv</c>
/// (<c>test_NNN,Tumor|Normal,…</c>, no header). Lesion outlines are ASAP XML, <c>&lt;slide_id&gt;.xml</c> in
/// <c>training/lesion_annotations/</c>, <c>testing/lesion_annotations/</c> or <c>lesion_annotations/</c>. The
/// official split is kept: training slides train (a validation share held out of them), test slides test. test_049,
/// a duplicate the organisers removed from both tasks, is left out (and logged).
/// </summary>
public static class Camelyon16Layout
{
    public const string Training = "training",
        Testing = "testing",
        TestImages = "images",
        Reference = "reference.csv",
        Annotations = "lesion_annotations";

    /// <summary>The slide the organisers removed from the evaluation (a duplicate).</summary>
    public const string RemovedTestSlide = "test_049";

    public static IReadOnlyList<ImageRecord> Read(string root, DatasetEntry entry, Action<string>? log = null)
    {
        var training = Path.Combine(root, Training);
        if (!Directory.Exists(training))
            throw new DatasetException(
                $"Dataset '{entry.Name}' ({root}): no {Training}/ folder; point the root at the CAMELYON16 folder "
                    + $"that holds {Training}/ and {Testing}/ as downloaded."
            );
        var records = Slides(training)
            .Select(path => new ImageRecord(path, LabelFromName(path, entry), Split: "train"))
            .ToList();
        if (records.Count == 0)
            throw new DatasetException($"Dataset '{entry.Name}': no normal_NNN.tif or tumor_NNN.tif under {training}.");
        var test = TestSlides(root, entry).ToList();
        if (
            test.RemoveAll(r =>
                SlideLayout.SlideId(r.Path).Equals(RemovedTestSlide, StringComparison.OrdinalIgnoreCase)
            ) > 0
        )
            log?.Invoke($"Left out {RemovedTestSlide}: a duplicate the CAMELYON16 organisers removed from evaluation.");
        records.AddRange(test);
        return records.Select(r => Annotation(root, r.Path) is { } xml ? r with { MaskPath = xml } : r).ToList();
    }

    private static IEnumerable<string> Slides(string folder) => SlideLayout.CamelyonTiffs(folder, Annotations);

    private static string LabelFromName(string path, DatasetEntry entry)
    {
        string id = SlideLayout.SlideId(path);
        if (id.StartsWith("normal_", StringComparison.OrdinalIgnoreCase))
            return "normal";
        if (id.StartsWith("tumor_", StringComparison.OrdinalIgnoreCase))
            return "tumor";
        throw new DatasetException(
            $"Dataset '{entry.Name}': {path} is neither normal_NNN.tif nor tumor_NNN.tif, so its class is unknown; "
                + "CAMELYON16's training slides are named by their class."
        );
    }

    private static IEnumerable<ImageRecord> TestSlides(string root, DatasetEntry entry)
    {
        var testing = Path.Combine(root, Testing);
        if (!Directory.Exists(testing))
            return [];
        var images = Directory.Exists(Path.Combine(testing, TestImages)) ? Path.Combine(testing, TestImages) : testing;
        var slides = Slides(images).ToList();
        if (slides.Count == 0)
            return [];
        var reference = Path.Combine(testing, Reference);
        var labels = ReadReference(reference, entry);
        return slides.Select(path => new ImageRecord(
            path,
            labels.GetValueOrDefault(SlideLayout.SlideId(path))
                ?? throw new DatasetException(
                    $"Dataset '{entry.Name}': {SlideLayout.SlideId(path)} is not in {reference}; the test slides "
                        + "are labelled by that file."
                ),
            Split: "test"
        ));
    }

    /// <summary>reference.csv: <c>test_001,Tumor,Macro,Primary</c> or <c>test_002,Normal,,</c>; no header (a header
    /// line naming the columns is skipped).</summary>
    private static Dictionary<string, string> ReadReference(string path, DatasetEntry entry)
    {
        if (!File.Exists(path))
            throw new DatasetException(
                $"Dataset '{entry.Name}': the test slides need {path} (CAMELYON16's test labels) beside images/."
            );
        var labels = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (line, number) in File.ReadAllLines(path).Select((l, i) => (l.Trim(), i + 1)))
        {
            if (line.Length == 0)
                continue;
            var cells = line.Split(',').Select(c => c.Trim()).ToArray();
            string id = Path.GetFileNameWithoutExtension(cells[0]);
            string? label = cells.Length > 1 ? cells[1].ToLowerInvariant() : null;
            if (label is "tumor" or "normal")
                labels[id] = label;
            else if (number > 1)
                throw new DatasetException(
                    $"{path}, line {number}: expected 'test_NNN,Tumor' or 'test_NNN,Normal', got '{line}'."
                );
        }
        return labels;
    }

    private static string? Annotation(string root, string slide)
    {
        string name = SlideLayout.SlideId(slide) + ".xml";
        return new[]
        {
            Path.Combine(root, Training, Annotations, name),
            Path.Combine(root, Testing, Annotations, name),
            Path.Combine(root, Annotations, name),
        }.FirstOrDefault(File.Exists);
    }
}
