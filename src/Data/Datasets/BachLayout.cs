namespace Amil.MLNet.Data.Datasets;

/// <summary>The BACH (ICIAR 2018) microscopy layout:
/// ICIAR2018_BACH_Challenge/Photos/{Normal,Benign,InSitu,Invasive}/*.tif, with an optional
/// Photos/microscopy_ground_truth.csv ("b001.tif,Benign" per line) that is cross-checked against the folders.</summary>
public static class BachLayout
{
    public static readonly IReadOnlyList<string> Classes = ["Benign", "InSitu", "Invasive", "Normal"];
    public const string PhotosPath = "ICIAR2018_BACH_Challenge/Photos";
    public const string GroundTruthFile = "microscopy_ground_truth.csv";

    /// <summary>The dataset root may be the folder holding ICIAR2018_BACH_Challenge, the challenge folder, or Photos
    /// itself.</summary>
    public static string FindPhotos(string root)
    {
        foreach (var candidate in new[] { Path.Combine(root, PhotosPath), Path.Combine(root, "Photos"), root })
            if (Directory.Exists(candidate) && Classes.Any(c => Directory.Exists(Path.Combine(candidate, c))))
                return candidate;
        throw new DatasetException(
            $"{root}: no BACH class folders found (expected {PhotosPath}/{{{string.Join(",", Classes)}}}/*.tif "
                + "under it); check \"root\"."
        );
    }

    public static IReadOnlyList<ImageRecord> Read(string root, DatasetEntry entry, ICollection<SkippedImage>? skipped)
    {
        var photos = FindPhotos(root);
        var truth = ReadGroundTruth(Path.Combine(photos, GroundTruthFile));
        var records = new List<ImageRecord>();
        foreach (var folder in Directory.GetDirectories(photos).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(folder);
            if (name.StartsWith('.'))
                continue;
            if (!Classes.Contains(name))
                throw new DatasetException(
                    $"{folder}: unknown BACH class folder '{name}' (BACH has {string.Join(", ", Classes)}); rename "
                        + "or move it."
                );
            var files = Directory
                .EnumerateFiles(folder)
                .Where(f => !DatasetReader.IsHousekeeping(f))
                .Order(StringComparer.Ordinal)
                .ToList();
            foreach (var other in files.Where(f => !DatasetReader.HasImageExtension(f)))
                DatasetReader.NotAnImage(other, skipped);
            var images = files.Where(DatasetReader.HasImageExtension).ToList();
            if (images.Count == 0)
                throw new DatasetException(
                    $"{folder}: class folder '{name}' has no images; add the .tif files or remove the folder."
                );
            foreach (var image in images)
            {
                if (truth.TryGetValue(Path.GetFileName(image), out var listed) && listed != name)
                    throw new DatasetException(
                        $"{image}: {GroundTruthFile} says {listed} but the file is in the {name} folder; the "
                            + "dataset copy is mixed up."
                    );
                records.Add(new ImageRecord(image, name));
            }
        }
        if (records.Count == 0)
            throw new DatasetException($"Dataset '{entry.Name}': no BACH images under {photos}.");
        return records;
    }

    private static Dictionary<string, string> ReadGroundTruth(string path)
    {
        var truth = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
            return truth;
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            var parts = line.Split(',', StringSplitOptions.TrimEntries);
            if (parts.Length < 2 || !Classes.Contains(parts[1]))
            {
                if (lineNumber == 1)
                    continue; // tolerate a header row
                throw new DatasetException(
                    $"{path}:{lineNumber}: expected \"file.tif,Class\" with Class one of "
                        + $"{string.Join(", ", Classes)}; got \"{line}\"."
                );
            }
            truth[parts[0]] = parts[1];
        }
        return truth;
    }
}
