using System.Globalization;

namespace Amil.MLNet.Slides;

/// <summary>
/// Per-slide scales given by the user where a file's own are wrong or missing: <c>slide_scales.csv</c> in the
/// slide's folder or up to three folders above it (the nearest table that lists the slide wins), with the header
/// <c>slide,mpp</c> and optionally a <c>magnification</c> column. <c>slide</c> is the file name, with or without its
/// extension, or its path relative to the table. <see cref="SlideImage.Open"/> reads it, so every step that opens
/// the slide (tiling, features, scoring, maps, the viewer) sees the same scale, and the feature cache keys on it.
/// </summary>
public static class SlideScaleTable
{
    /// <summary>The table's file name.</summary>
    public const string FileName = "slide_scales.csv";

    /// <summary>Folders above the slide's own that are searched.</summary>
    private const int FoldersAbove = 3;

    /// <summary>One slide's row: the scale it gives and the table it is in.</summary>
    public sealed record Entry(double? MicronsPerPixel, double? ObjectivePower, string Table);

    /// <summary>The row the nearest table gives <paramref name="slidePath"/>, or null when no table lists it.</summary>
    /// <exception cref="InvalidDataException">A table on the way is malformed (named with its line).</exception>
    public static Entry? Find(string slidePath)
    {
        var full = Path.GetFullPath(slidePath);
        var folder = Path.GetDirectoryName(full);
        for (int up = 0; up <= FoldersAbove && folder is not null; up++, folder = Path.GetDirectoryName(folder))
        {
            var table = Path.Combine(folder, FileName);
            if (File.Exists(table) && Lookup(table, full) is { } entry)
                return entry;
        }
        return null;
    }

    private static Entry? Lookup(string table, string slide)
    {
        var lines = File.ReadAllLines(table);
        var header = lines.FirstOrDefault()?.Split(',').Select(h => h.Trim().ToLowerInvariant()).ToList() ?? [];
        int name = header.IndexOf("slide"),
            mpp = header.IndexOf("mpp"),
            magnification = header.IndexOf("magnification");
        if (name < 0 || (mpp < 0 && magnification < 0))
            throw new InvalidDataException(
                $"{table}: the first line must name the columns slide and mpp (µm per level-0 pixel), and may name "
                    + "magnification (objective power)."
            );
        string folder = Path.GetDirectoryName(table)!;
        for (int i = 1; i < lines.Length; i++)
        {
            var cells = lines[i].Split(',').Select(c => c.Trim()).ToArray();
            string Cell(int column) => column >= 0 && column < cells.Length ? cells[column] : "";
            if (!Names(folder, Cell(name), slide))
                continue;
            var entry = new Entry(
                Positive(table, i + 1, "mpp", Cell(mpp)),
                Positive(table, i + 1, "magnification", Cell(magnification)),
                table
            );
            return entry.MicronsPerPixel is null && entry.ObjectivePower is null
                ? throw new InvalidDataException(
                    $"{table}, line {i + 1}: gives {Cell(name)} neither mpp nor magnification."
                )
                : entry;
        }
        return null;
    }

    /// <summary>Whether a row's slide names this file: its name, its name without extension, or its path from the
    /// table's folder.</summary>
    private static bool Names(string folder, string cell, string slide)
    {
        if (cell.Length == 0)
            return false;
        if (cell.Contains('/') || cell.Contains('\\'))
            return string.Equals(Path.GetFullPath(cell, folder), slide, StringComparison.Ordinal);
        string file = Path.GetFileName(slide);
        return cell.Equals(file, StringComparison.OrdinalIgnoreCase)
            || cell.Equals(Path.GetFileNameWithoutExtension(file), StringComparison.OrdinalIgnoreCase);
    }

    private static double? Positive(string table, int line, string column, string text)
    {
        if (text.Length == 0)
            return null;
        return
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            && value > 0
            && double.IsFinite(value)
            ? value
            : throw new InvalidDataException($"{table}, line {line}: {column} '{text}' is not a positive number.");
    }
}
