using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Transforms;

namespace Amil.MLNet.Data.Datasets;

/// <summary>Lists a dataset's images with labels, whatever its layout on disk.</summary>
public static class DatasetReader
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"];

    /// <summary>Reads the entry's images (with their masks when the dataset has masks/); a synthetic entry is generated
    /// into its root first if it is not there yet.</summary>
    /// <param name="skipped">When given, files that are plainly not images are recorded here instead of stopping with
    /// an error.</param>
    public static IReadOnlyList<ImageRecord> Read(
        DatasetEntry entry,
        string root,
        Action<string>? log = null,
        ICollection<SkippedImage>? skipped = null
    )
    {
        if (IsSlides(entry))
            throw new DatasetException(
                $"Dataset '{entry.Name}' holds whole slides: `slide` and `features` read them; slide-level training, "
                    + "evaluation and maps are not built yet."
            );
        var records = entry.Layout switch
        {
            "synthetic" => ReadSynthetic(entry, root, log),
            "breakhis" => ReadBreakHis(RequireFolder(root, entry), entry),
            "image-folder" => ReadImageFolder(RequireFolder(root, entry), skipped),
            "breakhis-kaggle" => ReadSplitFolders(RequireFolder(root, entry), entry, KaggleFold),
            "amil-data" => ReadSplitFolders(RequireFolder(root, entry), entry, AmilData),
            "bach" => BachLayout.Read(RequireFolder(root, entry), entry, skipped),
            _ => throw new DatasetException(
                $"Dataset '{entry.Name}': unknown layout '{entry.Layout}' (use "
                    + $"{string.Join(", ", DatasetRegistry.Layouts)})."
            ),
        };
        return AttachMasks(root, records);
    }

    /// <summary>Whether the entry is a whole-slide dataset (the wsi, camelyon16, camelyon17, bracs, tcga and
    /// bach-wsi layouts, or the built-in synthetic slides).</summary>
    public static bool IsSlides(DatasetEntry entry) =>
        entry.Layout is "wsi" or "camelyon16" or "camelyon17" or "bracs" or "tcga" or "bach-wsi"
        || (entry.Layout == "synthetic" && SlideSet(entry.Synthetic?.Kind) is not null);

    /// <summary>The synthetic.kind of the built-in slides, and of the hard ones.</summary>
    public const string SyntheticSlideKind = "wsi",
        HardSyntheticSlideKind = "wsi-hard";

    /// <summary>The set of synthetic slides a synthetic.kind names; null when it names images.</summary>
    public static SyntheticSlideSet? SlideSet(string? kind) =>
        kind switch
        {
            SyntheticSlideKind => SyntheticSlideSet.Basic,
            HardSyntheticSlideKind => SyntheticSlideSet.Hard,
            _ => null,
        };

    /// <summary>The images of an image dataset or the slides of a whole-slide one.</summary>
    public static IReadOnlyList<ImageRecord> ReadItems(DatasetEntry entry, string root, Action<string>? log = null) =>
        IsSlides(entry) ? ReadSlides(entry, root, log) : Read(entry, root, log);

    /// <summary>A whole-slide dataset's slides (generated first for the built-in one).</summary>
    public static IReadOnlyList<ImageRecord> ReadSlides(DatasetEntry entry, string root, Action<string>? log = null)
    {
        if (!IsSlides(entry))
            throw new DatasetException($"Dataset '{entry.Name}' is not a whole-slide dataset (layout wsi).");
        if (entry.Layout == "synthetic")
            SlideLayout.EnsureSynthetic(
                root,
                new SyntheticSlideOptions(entry.Synthetic!.Count, entry.Synthetic.Seed)
                {
                    Set = SlideSet(entry.Synthetic.Kind)!.Value,
                },
                log
            );
        return entry.Layout switch
        {
            "camelyon16" => Camelyon16Layout.Read(RequireFolder(root, entry), entry, log),
            "camelyon17" => Camelyon17Layout.Read(RequireFolder(root, entry), entry, log),
            "bracs" => BracsLayout.Read(RequireFolder(root, entry), entry),
            "tcga" => TcgaLayout.Read(RequireFolder(root, entry), entry, log),
            "bach-wsi" => BachWsiLayout.Read(RequireFolder(root, entry), entry, log),
            _ => SlideLayout.Read(RequireFolder(root, entry), entry),
        };
    }

    private static IReadOnlyList<ImageRecord> ReadSynthetic(DatasetEntry entry, string root, Action<string>? log)
    {
        if (!SyntheticKinds.TryParse(entry.Synthetic!.Kind, out var kind))
            throw new DatasetException(
                $"Dataset '{entry.Name}': synthetic.kind '{entry.Synthetic.Kind}' is not one of "
                    + $"{string.Join(", ", SyntheticKinds.All)}."
            );
        EnsureSynthetic(root, new SyntheticOptions(kind, entry.Synthetic.Count, entry.Synthetic.Seed), log);
        return SyntheticKinds.IsBach(kind) ? BachLayout.Read(root, entry, null) : ReadBreakHis(root, entry);
    }

    /// <summary>The mask convention: root/masks/ mirrors the image paths, as PNG (tumour &gt; 127).</summary>
    public static string MaskPathFor(string root, string imagePath) =>
        Path.Combine(
            root,
            SyntheticHistology.MasksFolder,
            Path.ChangeExtension(Path.GetRelativePath(root, imagePath), ".png")
        );

    private static IReadOnlyList<ImageRecord> AttachMasks(string root, IReadOnlyList<ImageRecord> records)
    {
        if (!Directory.Exists(Path.Combine(root, SyntheticHistology.MasksFolder)))
            return records;
        return records
            .Select(r => File.Exists(MaskPathFor(root, r.Path)) ? r with { MaskPath = MaskPathFor(root, r.Path) } : r)
            .ToList();
    }

    /// <summary>Files a person may leave in a class folder that are not data (never reported).</summary>
    internal static bool IsHousekeeping(string file)
    {
        var name = Path.GetFileName(file);
        return name.StartsWith('.')
            || name.Equals("Thumbs.db", StringComparison.OrdinalIgnoreCase)
            || name.Equals("desktop.ini", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Whether a file name has one of the image extensions every layout and command accepts.</summary>
    public static bool HasImageExtension(string file) =>
        ImageExtensions.Contains(Path.GetExtension(file).ToLowerInvariant());

    /// <summary>Reports a file that is not an image: recorded when skipping, otherwise an error naming it.</summary>
    internal static void NotAnImage(string file, ICollection<SkippedImage>? skipped)
    {
        const string reason = "not an image file (expected .png, .jpg, .jpeg, .tif, .tiff or .bmp)";
        if (skipped is null)
            throw new DatasetException($"{file}: {reason}; remove or rename it, or pass --on-bad-image skip.");
        skipped.Add(new SkippedImage(file, reason));
    }

    /// <summary>Generates a synthetic dataset once; a completed one (marker file present) is reused.</summary>
    public static void EnsureSynthetic(string root, SyntheticOptions options, Action<string>? log)
    {
        var marker = Path.Combine(root, ".complete");
        // Bump a kind's format when its generator changes, so old copies are written again.
        int format = options.Kind == SyntheticKind.Bach ? 4 : 3;
        string signature =
            $"format {format} {options.Kind} {options.Count} {options.Seed} {options.Width}x{options.Height}";
        if (File.Exists(marker) && File.ReadAllText(marker).Trim() == signature)
            return;
        log?.Invoke(
            $"Generating synthetic {options.Kind} dataset ({options.Count} images, seed {options.Seed}) into {root} "
                + "(first use only)…"
        );
        if (Directory.Exists(root))
            Directory.Delete(root, recursive: true);
        SyntheticHistology.Generate(root, options);
        AtomicFile.WriteText(marker, signature);
    }

    private static string RequireFolder(string root, DatasetEntry entry)
    {
        if (Directory.Exists(root))
            return root;
        var unset = System.Text.RegularExpressions.Regex.Match(root, @"\$\{?([A-Za-z_][A-Za-z0-9_]*)");
        if (unset.Success)
            throw new DatasetException(
                $"Dataset '{entry.Name}': its root uses the environment variable {unset.Groups[1].Value}, which is "
                    + "not set; set it to the dataset folder."
            );
        throw new DatasetException(
            $"Dataset '{entry.Name}': folder {root} does not exist; fix \"root\" in datasets.json or pass --data DIR."
        );
    }

    public static IReadOnlyList<ImageRecord> ReadBreakHis(string root, DatasetEntry entry)
    {
        bool subtype = entry.Task == "subtype";
        string? magnification = entry.Magnification is null or "all" ? null : entry.Magnification;
        var masks = Path.Combine(root, SyntheticHistology.MasksFolder) + Path.DirectorySeparatorChar;
        var records = new List<ImageRecord>();
        foreach (
            var file in Directory
                .EnumerateFiles(root, "*.png", SearchOption.AllDirectories)
                .Order(StringComparer.Ordinal)
        )
        {
            if (file.StartsWith(masks, StringComparison.Ordinal))
                continue;
            if (!BreakHisName.TryParse(file, out var name))
                throw new DatasetException(
                    $"{file}: not a BreakHis file name (expected e.g. SOB_B_A-14-22549AB-40-001.png); remove it or "
                        + "use layout image-folder."
                );
            var folders = Path.GetRelativePath(root, file).Split(Path.DirectorySeparatorChar);
            if (!folders.Contains(name.ClassName) || !folders.Contains($"{name.Magnification}X"))
                throw new DatasetException(
                    $"{file}: file name says {name.ClassName} at {name.Magnification}X but its folders disagree; "
                        + "the dataset copy is mixed up."
                );
            if (magnification is not null && $"{name.Magnification}X" != magnification)
                continue;
            records.Add(
                new ImageRecord(
                    file,
                    subtype ? name.Subtype : name.ClassName,
                    name.PatientFolder,
                    $"{name.Magnification}X"
                )
            );
        }
        if (records.Count == 0)
            throw new DatasetException(
                $"Dataset '{entry.Name}': no BreakHis images{(magnification is null ? "" : " at " + magnification)} "
                    + $"under {root}; check \"root\" (it should contain BreaKHis_v1/)."
            );
        return records;
    }

    /// <summary>Where a predefined-split layout keeps label, split and magnification in a file's relative
    /// path.</summary>
    private delegate (string Label, string Split, string Magnification)? PathParser(string[] folders);

    /// <summary>breakhis-kaggle: fold1/{train,test}/{40X,…}/{B_40X,M_40X}/*.png.</summary>
    private static (string, string, string)? KaggleFold(string[] f) =>
        f.Length >= 5 && f[^4] is "train" or "test" && f[^2].Length > 2 && f[^2][1] == '_' && f[^2][0] is 'B' or 'M'
            ? (f[^2][0] == 'B' ? "benign" : "malignant", f[^4], f[^3])
            : null;

    /// <summary>amil-data: {40X,…}/{train,test}/{0,1}/*.png (0 benign, 1 malignant).</summary>
    private static (string, string, string)? AmilData(string[] f) =>
        f.Length >= 4 && f[^3] is "train" or "test" && f[^2] is "0" or "1"
            ? (f[^2] == "0" ? "benign" : "malignant", f[^3], f[^4])
            : null;

    private static IReadOnlyList<ImageRecord> ReadSplitFolders(string root, DatasetEntry entry, PathParser parse)
    {
        string? magnification = entry.Magnification is null or "all" ? null : entry.Magnification;
        var records = new List<ImageRecord>();
        foreach (
            var file in Directory
                .EnumerateFiles(root, "*.png", SearchOption.AllDirectories)
                .Order(StringComparer.Ordinal)
        )
        {
            var folders = Path.GetRelativePath(root, file).Split(Path.DirectorySeparatorChar);
            if (folders.Contains(SyntheticHistology.MasksFolder))
                continue;
            var parsed =
                parse(folders)
                ?? throw new DatasetException(
                    $"{file}: not where layout '{entry.Layout}' expects images ({ExpectedPattern(entry.Layout)}); "
                        + "move it or pick another layout."
                );
            if (magnification is not null && parsed.Magnification != magnification)
                continue;
            string? patient = BreakHisName.TryParse(file, out var name) ? name.PatientFolder : null;
            records.Add(new ImageRecord(file, parsed.Label, patient, parsed.Magnification, parsed.Split));
        }
        return records.Count > 0
            ? records
            : throw new DatasetException(
                $"Dataset '{entry.Name}': no images{(magnification is null ? "" : " at " + magnification)} under "
                    + $"{root} in the {entry.Layout} layout; check \"root\"."
            );
    }

    public static IReadOnlyList<ImageRecord> ReadImageFolder(string root, ICollection<SkippedImage>? skipped = null)
    {
        string[] splitNames = ["train", "val", "test"];
        var top = Directory
            .GetDirectories(root)
            .Select(Path.GetFileName)
            .Where(n => n != SyntheticHistology.MasksFolder && !n!.StartsWith('.'))
            .ToList();
        bool predefined = top.Count > 0 && top.All(n => splitNames.Contains(n));
        var records = new List<ImageRecord>();
        foreach (
            var (folder, split) in predefined
                ? top.Select(s => (Path.Combine(root, s!), (string?)s))
                : [(root, (string?)null)]
        )
        foreach (var classDir in Directory.GetDirectories(folder).Order(StringComparer.Ordinal))
        {
            var className = Path.GetFileName(classDir);
            if (className == SyntheticHistology.MasksFolder || className.StartsWith('.'))
                continue;
            var files = Directory
                .EnumerateFiles(classDir, "*", SearchOption.AllDirectories)
                .Where(f => !IsHousekeeping(f))
                .Order(StringComparer.Ordinal)
                .ToList();
            foreach (var other in files.Where(f => !HasImageExtension(f)))
                NotAnImage(other, skipped);
            var images = files.Where(HasImageExtension).ToList();
            if (images.Count == 0)
                throw new DatasetException(
                    $"{classDir}: class folder '{className}' has no images (png, jpg, tif); add images or remove "
                        + "the folder."
                );
            records.AddRange(images.Select(f => new ImageRecord(f, className, Split: split)));
        }
        if (records.Count == 0)
            throw new DatasetException(
                $"{root}: no class folders with images (expected root/<class>/*.png or root/train/<class>/*.png)."
            );
        return records;
    }

    private static string ExpectedPattern(string layout) =>
        layout == "amil-data" ? "{40X,…}/{train,test}/{0,1}/*.png" : "fold1/{train,test}/{40X,…}/{B_40X,M_40X}/*.png";
}
