namespace Amil.MLNet.Slides;

/// <summary>Settings of <see cref="SlideQuality"/>: how far from the slide's typical tile a tile may be before it is
/// flagged. Blur and folds are judged against the slide's own median tile, so stain and scanner do not move
/// them.</summary>
public sealed record QualitySettings
{
    /// <summary>Blur: detail under this share of the slide's lower-quartile tile detail (a quartile, not the median:
    /// tumour is far more detailed than normal tissue, and a slide full of it would make its normal tiles look
    /// blurred). Default 0.5.</summary>
    public double BlurDetailShare { get; init; } = 0.5;

    /// <summary>Pen: at least this share of the tile's pixels is ink. Default 0.05.</summary>
    public double PenShare { get; init; } = 0.05;

    /// <summary>Fold: at least this share of a tile's tissue is darkened stroma, grey between 0.6 and 0.85 of the
    /// slide's stroma level (its median tile's 90th-percentile grey), in a tile not blurred (blur darkens the stroma
    /// too, by mixing the nuclei in). Default 0.3.</summary>
    public double FoldShare { get; init; } = 0.3;

    /// <summary>Background: at least this share of the tile is glass. Default 0.5.</summary>
    public double GlassShare { get; init; } = 0.5;
}

/// <summary>Quality control of a slide's tiles: each tile measured (<see cref="TileQuality"/>) and flagged for blur,
/// pen ink, folds and glass against the slide's own typical tile.</summary>
public static class SlideQuality
{
    /// <summary>The flags of each tile, in the order given.</summary>
    public static TileFlags[] Flag(IReadOnlyList<TileQuality> tiles, QualitySettings? settings = null)
    {
        settings ??= new QualitySettings();
        if (tiles.Count == 0)
            return [];
        var details = tiles.Select(t => t.Detail).Where(double.IsFinite).ToList();
        double detail = details.Count > 0 ? Quantile(details, 0.25) : 0,
            grey = Quantile(tiles.Select(t => t.StromaGrey), 0.5);
        return
        [
            .. tiles.Select(t =>
            {
                bool blur = t.Detail < settings.BlurDetailShare * detail;
                return (blur ? TileFlags.Blur : TileFlags.None)
                    | (t.PenShare >= settings.PenShare ? TileFlags.Pen : TileFlags.None)
                    | (!blur && t.ShareBetween(0.6 * grey, 0.85 * grey) >= settings.FoldShare ? TileFlags.Fold : 0)
                    | (t.GlassShare >= settings.GlassShare ? TileFlags.Background : TileFlags.None);
            }),
        ];
    }

    /// <summary>Reads and measures every tile of a slide at the tiling scale, then flags them.</summary>
    public static TileFlags[] Assess(
        SlideImage slide,
        IReadOnlyList<SlideTile> tiles,
        int tileSize,
        QualitySettings? settings = null
    ) => Flag([.. tiles.Select(t => TileQuality.Measure(SlideTiling.Read(slide, t, tileSize)))], settings);

    /// <summary>How many tiles hold each flag, by its name in files: blur, pen, fold, background.</summary>
    public static IReadOnlyDictionary<string, int> Counts(IReadOnlyList<TileFlags> flags) =>
        Kinds.ToDictionary(Name, f => flags.Count(x => x.HasFlag(f)));

    /// <summary>"blur 3, pen 0, fold 1, background 2" for a slide's flags.</summary>
    public static string Describe(IReadOnlyList<TileFlags> flags) =>
        string.Join(", ", Kinds.Select(f => $"{Name(f)} {flags.Count(x => x.HasFlag(f))}"));

    /// <summary>A tile's flags as files name them, e.g. "blur|fold" ("" for none).</summary>
    public static string Name(TileFlags flags) =>
        string.Join('|', Kinds.Where(f => flags.HasFlag(f)).Select(f => f.ToString().ToLowerInvariant()));

    private static readonly TileFlags[] Kinds = [TileFlags.Blur, TileFlags.Pen, TileFlags.Fold, TileFlags.Background];

    private static double Quantile(IEnumerable<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        double rank = q * (sorted.Length - 1);
        int low = (int)Math.Floor(rank);
        return sorted[low] + (rank - low) * (sorted[Math.Min(low + 1, sorted.Length - 1)] - sorted[low]);
    }
}
