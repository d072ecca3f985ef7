using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms;

namespace Amil.MLNet.Data.Datasets;

/// <summary>
/// The <c>wsi</c> layout: whole slides listed in <c>root/slides.csv</c> (<c>slide_id,label[,patient][,split]</c>,
/// CLAM's convention, the files under <c>root/slides/</c> or <c>root/</c>; or any cohort table with a <c>path</c>
/// column instead of <c>slide_id</c>, absolute or relative to the root), or, without a list, class folders
/// <c>root/&lt;class&gt;/*.{svs,tif,tiff}</c>. A slide's tumour mask, when there is one, is
/// <c>root/masks/&lt;slide_id&gt;.png</c> (any size: it is scaled to the slide; tumour &gt; 127) or
/// <c>root/masks/&lt;slide_id&gt;.geojson</c> or <c>.xml</c> (tumour annotations exported from QuPath, or ASAP's
/// XML; see <see cref="AnnotationMask"/>).
/// </summary>
public static class SlideLayout
{
    /// <summary>Mask files looked for, in this order.</summary>
    public static readonly IReadOnlyList<string> MaskExtensions = [".png", ".geojson", ".json", ".xml"];

    public static IReadOnlyList<ImageRecord> Read(string root, DatasetEntry entry)
    {
        var list = Path.Combine(root, SyntheticSlides.ListFile);
        var records = File.Exists(list) ? FromList(root, list) : FromFolders(root, entry);
        if (records.Count == 0)
            throw new DatasetException(
                $"Dataset '{entry.Name}' ({root}): no slides ({string.Join(", ", SlideImage.Extensions)}) found; "
                    + $"list them in {SyntheticSlides.ListFile} (slide_id,label) or put them in class folders."
            );
        return records
            .Select(r =>
            {
                var mask = MaskExtensions
                    .Select(e => Path.Combine(root, SyntheticSlides.MasksFolder, SlideId(r.Path) + e))
                    .FirstOrDefault(File.Exists);
                return mask is not null ? r with { MaskPath = mask } : r;
            })
            .ToList();
    }

    /// <summary>The .tif slides under a folder (any depth), in path order, leaving out the lesion_annotations/
    /// folders the CAMELYON cohorts keep their outlines in.</summary>
    internal static IEnumerable<string> CamelyonTiffs(string folder, string annotations) =>
        Directory
            .EnumerateFiles(folder, "*.tif", SearchOption.AllDirectories)
            .Where(f => !f.Contains(Path.DirectorySeparatorChar + annotations + Path.DirectorySeparatorChar))
            .Order(StringComparer.Ordinal);

    /// <summary>A slide's id: its file name without the extension.</summary>
    public static string SlideId(string slidePath) => Path.GetFileNameWithoutExtension(slidePath);

    private static List<ImageRecord> FromList(string root, string list)
    {
        var lines = File.ReadAllLines(list).Where(l => !string.IsNullOrWhiteSpace(l)).ToList();
        var header = lines.FirstOrDefault()?.Split(',').Select(h => h.Trim().ToLowerInvariant()).ToList() ?? [];
        int id = header.IndexOf("slide_id"),
            path = Math.Max(header.IndexOf("path"), header.IndexOf("slide_path")),
            label = header.IndexOf("label"),
            patient = header.IndexOf("patient"),
            split = header.IndexOf("split");
        if ((id < 0 && path < 0) || label < 0)
            throw new DatasetException(
                $"{list}: the first line must name the columns slide_id (or path) and label; patient and split "
                    + "(train, val or test) are optional."
            );
        var records = new List<ImageRecord>();
        foreach (var (line, number) in lines.Skip(1).Select((l, i) => (l, i + 2)))
        {
            var cells = line.Split(',').Select(c => c.Trim()).ToArray();
            string Cell(int column) => column >= 0 && column < cells.Length ? cells[column] : "";
            if ((Cell(id).Length == 0 && Cell(path).Length == 0) || Cell(label).Length == 0)
                throw new DatasetException(
                    $"{list}, line {number}: needs a slide ({(id >= 0 ? "slide_id" : "path")}) " + "and a label."
                );
            var file =
                Cell(path).Length > 0 ? Listed(root, list, number, Cell(path)) : Named(root, list, number, Cell(id));
            records.Add(
                new ImageRecord(
                    file,
                    Cell(label),
                    Cell(patient) is { Length: > 0 } p ? p : null,
                    Split: SplitName(list, number, Cell(split))
                )
            );
        }
        int withSplit = records.Count(r => r.Split is not null);
        if (withSplit > 0 && withSplit < records.Count)
            throw new DatasetException(
                $"{list}: {withSplit} of {records.Count} slides have a split; give every slide one (train, val or "
                    + "test), or none to let the dataset's split settings decide."
            );
        return records;
    }

    /// <summary>A slide named by id: root/slides/ID.ext or root/ID.ext.</summary>
    private static string Named(string root, string list, int number, string id) =>
        new[] { Path.Combine(root, SyntheticSlides.SlidesFolder), root }
            .SelectMany(folder => SlideImage.Extensions.Select(e => Path.Combine(folder, id + e)))
            .FirstOrDefault(File.Exists)
        ?? throw new DatasetException(
            $"{list}, line {number}: no slide file for '{id}' in {root}/{SyntheticSlides.SlidesFolder} "
                + $"or {root} ({string.Join(", ", SlideImage.Extensions)})."
        );

    /// <summary>A slide given by path, absolute or relative to the root.</summary>
    private static string Listed(string root, string list, int number, string path)
    {
        var full = Path.GetFullPath(path, root);
        return File.Exists(full) ? full : throw new DatasetException($"{list}, line {number}: no slide at {full}.");
    }

    /// <summary>The split column: train, val (or validation), test, or empty for "split as the dataset says".</summary>
    private static string? SplitName(string list, int number, string text) =>
        text.ToLowerInvariant() switch
        {
            "" => null,
            "train" => "train",
            "val" or "validation" => "val",
            "test" => "test",
            _ => throw new DatasetException(
                $"{list}, line {number}: split '{text}' is not train, val or test (or empty)."
            ),
        };

    private static List<ImageRecord> FromFolders(string root, DatasetEntry entry) =>
        Directory
            .EnumerateDirectories(root)
            .Where(d => Path.GetFileName(d) != SyntheticSlides.MasksFolder)
            .SelectMany(d =>
                Directory
                    .EnumerateFiles(d)
                    .Where(f => SlideImage.Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                    .Select(f => new ImageRecord(f, Path.GetFileName(d)))
            )
            .OrderBy(r => r.Path, StringComparer.Ordinal)
            .ToList();

    /// <summary>Writes the built-in synthetic slides into <paramref name="root"/> unless they are there
    /// already.</summary>
    public static void EnsureSynthetic(string root, SyntheticSlideOptions options, Action<string>? log)
    {
        var marker = Path.Combine(root, ".complete");
        string signature =
            $"format 1 {(options.Set == SyntheticSlideSet.Hard ? "wsi-hard" : "wsi")} {options.Count} {options.Seed} "
            + $"{options.Width}x{options.Height}";
        if (File.Exists(marker) && File.ReadAllText(marker).Trim() == signature)
            return;
        log?.Invoke($"Generating {options.Count} synthetic slides (seed {options.Seed}) into {root} (first use only)…");
        if (Directory.Exists(root))
            Directory.Delete(root, recursive: true);
        SyntheticSlides.Generate(root, options, n => log?.Invoke($"  slide {n}/{options.Count}"));
        AtomicFile.WriteText(marker, signature);
    }
}
