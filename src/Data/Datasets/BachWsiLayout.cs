using Amil.MLNet.Slides;

namespace Amil.MLNet.Data.Datasets;

/// <summary>
/// The <c>bach-wsi</c> layout: BACH's (ICIAR 2018) whole slides as distributed,
/// <c>ICIAR2018_BACH_Challenge/WSI/*.svs</c>, each annotated slide with Aperio ImageScope XML of the same name beside
/// it (regions "Benign", "In situ carcinoma", "Invasive carcinoma"; unannotated tissue is normal). The root may be
/// the folder holding ICIAR2018_BACH_Challenge (the one the microscopy layout <c>bach</c> reads too), the challenge
/// folder or WSI/ itself. A slide's class is its most severe region, in BACH's four classes (Normal &lt; Benign &lt;
/// InSitu &lt; Invasive, the microscopy layout's names); an annotated slide without regions is Normal. Slides without
/// annotations have no label and are left out (and logged). The challenge publishes no split of the slides, so the
/// entry's split fractions apply; the XML is the slide's mask (in situ and invasive regions are tumour).
/// </summary>
public static class BachWsiLayout
{
    public const string WsiFolder = "WSI";

    /// <summary>The classes from the least to the most severe.</summary>
    public static readonly IReadOnlyList<string> Severity = ["Normal", "Benign", "InSitu", "Invasive"];

    public static IReadOnlyList<ImageRecord> Read(string root, DatasetEntry entry, Action<string>? log = null)
    {
        var folder = FindWsi(root, entry);
        var records = new List<ImageRecord>();
        var unannotated = new List<string>();
        foreach (var slide in Directory.EnumerateFiles(folder, "*.svs").Order(StringComparer.Ordinal))
        {
            var xml = Path.ChangeExtension(slide, ".xml");
            if (File.Exists(xml))
                records.Add(new ImageRecord(slide, LabelOf(xml), MaskPath: xml));
            else
                unannotated.Add(Path.GetFileName(slide));
        }
        if (unannotated.Count > 0)
            log?.Invoke(
                $"Left out {unannotated.Count} slide(s) without annotation XML, which have no label: "
                    + string.Join(", ", unannotated)
            );
        if (records.Count == 0)
            throw new DatasetException(
                $"Dataset '{entry.Name}' ({folder}): no .svs slide has its ImageScope annotation (.xml of the same "
                    + "name) beside it, so none has a label; BACH's annotated slides ship with their .xml."
            );
        return records;
    }

    /// <summary>The slide's class: its most severe annotated region's.</summary>
    public static string LabelOf(string xml)
    {
        IReadOnlyList<string> regions;
        try
        {
            regions = AnnotationMask.RegionClasses(xml);
        }
        catch (InvalidDataException e)
        {
            throw new DatasetException(e.Message);
        }
        return regions.Select(r => ClassOf(xml, r)).MaxBy(c => Severity.ToList().IndexOf(c)) ?? "Normal";
    }

    private static string ClassOf(string xml, string region)
    {
        var plain = region.ToLowerInvariant().Replace("-", " ").Replace("_", " ");
        return plain.Contains("invasive") ? "Invasive"
            : plain.Contains("in situ") || plain.Contains("insitu") ? "InSitu"
            : plain.Contains("benign") ? "Benign"
            : plain.Contains("normal") ? "Normal"
            : throw new DatasetException(
                $"{xml}: a region of class '{region}', which is none of BACH's (Benign, In situ carcinoma, Invasive "
                    + "carcinoma, Normal); rename it in ImageScope or use the wsi layout with your own labels."
            );
    }

    private static string FindWsi(string root, DatasetEntry entry)
    {
        foreach (
            var candidate in new[]
            {
                Path.Combine(root, "ICIAR2018_BACH_Challenge", WsiFolder),
                Path.Combine(root, WsiFolder),
                root,
            }
        )
            if (Directory.Exists(candidate) && Directory.EnumerateFiles(candidate, "*.svs").Any())
                return candidate;
        throw new DatasetException(
            $"Dataset '{entry.Name}' ({root}): no ICIAR2018_BACH_Challenge/{WsiFolder}/*.svs; point the root at the "
                + "folder that holds ICIAR2018_BACH_Challenge as downloaded."
        );
    }
}
