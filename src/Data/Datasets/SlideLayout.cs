using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms;

namespace Amil.MLNet.Data.Datasets;

/// <summary>
/// The <c>wsi</c> layout: whole slides listed in <c>root/slides.csv</c> (<c>slide_id,label[,patient]</c>, CLAM's
/// convention) with the files under <c>root/slides/</c> or <c>root/</c>, or, without a list, class folders
/// <c>root/&lt;class&gt;/*.{svs,tif,tiff}</c>. A slide's tumour mask, when there is one, is
/// <c>root/masks/&lt;slide_id&gt;.png</c> (any size: it is scaled to the slide; tumour &gt; 127) or
/// <c>root/masks/&lt;slide_id&gt;.geojson</c> (tumour annotations, e.g. exported from QuPath; see
/// <see cref="AnnotationMask"/>).
/// </summary>
public static class SlideLayout
{
    /// <summary>Mask files looked for, in this order.</summary>
    public static readonly IReadOnlyList<string> MaskExtensions = [".png", ".geojson", ".json"];

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

    /// <summary>A slide's id: its file name without the extension.</summary>
    public static string SlideId(string slidePath) => Path.GetFileNameWithoutExtension(slidePath);

    private static List<ImageRecord> FromList(string root, string list)
    {
        var lines = File.ReadAllLines(list).Where(l => !string.IsNullOrWhiteSpace(l)).ToList();
        var header = lines.FirstOrDefault()?.Split(',').Select(h => h.Trim().ToLowerInvariant()).ToList() ?? [];
        int id = header.IndexOf("slide_id"),
            label = header.IndexOf("label"),
            patient = header.IndexOf("patient");
        if (id < 0 || label < 0)
            throw new DatasetException($"{list}: the first line must name the columns slide_id and label.");
        var records = new List<ImageRecord>();
        foreach (var (line, number) in lines.Skip(1).Select((l, i) => (l, i + 2)))
        {
            var cells = line.Split(',').Select(c => c.Trim()).ToArray();
            if (cells.Length <= Math.Max(id, label) || cells[id].Length == 0 || cells[label].Length == 0)
                throw new DatasetException($"{list}, line {number}: needs a slide_id and a label.");
            var file =
                new[] { Path.Combine(root, SyntheticSlides.SlidesFolder), root }
                    .SelectMany(folder => SlideImage.Extensions.Select(e => Path.Combine(folder, cells[id] + e)))
                    .FirstOrDefault(File.Exists)
                ?? throw new DatasetException(
                    $"{list}, line {number}: no slide file for '{cells[id]}' in {root}/{SyntheticSlides.SlidesFolder} "
                        + $"or {root} ({string.Join(", ", SlideImage.Extensions)})."
                );
            records.Add(
                new ImageRecord(file, cells[label], patient >= 0 && patient < cells.Length ? cells[patient] : null)
            );
        }
        return records;
    }

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
