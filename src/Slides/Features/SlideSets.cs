namespace Amil.MLNet.Slides;

/// <summary>
/// A set of slides scored as one bag (a patient's slides, a lymph-node set): a text file with the extension
/// <see cref="Extension"/>, one slide path per line (relative paths from the file's folder; blank lines and lines
/// starting with # are skipped). Wherever TileSlides reads a slide path it takes such a file too: the bag is every
/// slide's tiles, in the file's order.
/// </summary>
public static class SlideSets
{
    /// <summary>The extension that marks a slide set.</summary>
    public const string Extension = ".slides";

    /// <summary>Whether <paramref name="path"/> names a slide set rather than a slide.</summary>
    public static bool IsSet(string path) => path.EndsWith(Extension, StringComparison.OrdinalIgnoreCase);

    /// <summary>The slides of a set, as full paths in the file's order.</summary>
    /// <exception cref="FileNotFoundException">The set, or one of its slides, is missing.</exception>
    /// <exception cref="InvalidDataException">The set lists no slide, or one twice.</exception>
    public static IReadOnlyList<string> Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such slide set; write one slide path per line.", path);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var slides = File.ReadAllLines(path)
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => Path.GetFullPath(Path.Combine(folder, l)))
            .ToList();
        if (slides.Count == 0)
            throw new InvalidDataException($"{path}: the slide set lists no slide; write one slide path per line.");
        if (slides.GroupBy(s => s).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InvalidDataException($"{path}: the slide set lists {twice.Key} twice; list each slide once.");
        if (slides.FirstOrDefault(s => !File.Exists(s)) is { } missing)
            throw new FileNotFoundException($"{path}: its slide {missing} does not exist.", missing);
        return slides;
    }

    /// <summary>Writes a set of <paramref name="slides"/> (as full paths) at <paramref name="path"/>,
    /// atomically.</summary>
    public static void Write(string path, IEnumerable<string> slides)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        Transforms.AtomicFile.WriteText(path, string.Join('\n', slides.Select(Path.GetFullPath)) + "\n");
    }
}
