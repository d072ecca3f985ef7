using System.Text.Json.Serialization;
using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Slides;

namespace Amil.MLNet.Application.Jobs;

/// <summary>`bench --quality`: quality control measured against the artefacts drawn on generated synthetic-wsi-hard
/// slides (blur, pen ink, folds, glass): every tile of the default tiling flagged, and each flag's precision and
/// recall against the tiles the drawing says are affected.</summary>
public static class QualityBench
{
    /// <summary>How much of a tile an artefact must cover for the tile to count as affected.</summary>
    public static readonly IReadOnlyDictionary<TileFlags, double> AffectedShare = new Dictionary<TileFlags, double>
    {
        [TileFlags.Blur] = 0.5,
        [TileFlags.Pen] = 0.05,
        [TileFlags.Fold] = 0.25,
        [TileFlags.Background] = 0.5,
    };

    public sealed record Report(
        [property: JsonPropertyName("slides")] int Slides,
        [property: JsonPropertyName("slide_size")] string SlideSize,
        [property: JsonPropertyName("tiles")] int Tiles,
        [property: JsonPropertyName("flags")] IReadOnlyList<FlagResult> Flags
    );

    /// <summary>One flag: tiles affected by the drawing, tiles flagged, both, and the precision and recall (null
    /// where undefined).</summary>
    public sealed record FlagResult(
        [property: JsonPropertyName("flag")] string Flag,
        [property: JsonPropertyName("affected")] int Affected,
        [property: JsonPropertyName("flagged")] int Flagged,
        [property: JsonPropertyName("both")] int Both,
        [property: JsonPropertyName("precision")] double? Precision,
        [property: JsonPropertyName("recall")] double? Recall
    );

    public static Report Run(int count, int width, int height, string workFolder, Action<string> log)
    {
        var options = new SyntheticSlideOptions(count, 1)
        {
            Set = SyntheticSlideSet.Hard,
            Width = width,
            Height = height,
        };
        var folder = Path.Combine(workFolder, FormattableString.Invariant($"quality-{count}-{width}x{height}"));
        if (!File.Exists(Path.Combine(folder, SyntheticSlides.ListFile)))
        {
            log($"Writing {count} synthetic-wsi-hard slides of {width}×{height} px under {folder}…");
            SyntheticSlides.Generate(folder, options);
        }
        var tally = AffectedShare.Keys.ToDictionary(f => f, _ => new int[3]); // affected, flagged, both
        int tiles = 0;
        for (int i = 0; i < count; i++)
        {
            var path = Directory
                .EnumerateFiles(Path.Combine(folder, SyntheticSlides.SlidesFolder), $"*_{i + 1:D3}.svs")
                .Single();
            var (truth, flags) = Slide(path, SyntheticSlides.Artefacts(options, i));
            tiles += flags.Length;
            foreach (var (flag, counts) in tally)
                for (int t = 0; t < flags.Length; t++)
                {
                    bool affected = truth[t].HasFlag(flag),
                        flagged = flags[t].HasFlag(flag);
                    counts[0] += affected ? 1 : 0;
                    counts[1] += flagged ? 1 : 0;
                    counts[2] += affected && flagged ? 1 : 0;
                }
            log($"{Path.GetFileName(path)}: {flags.Length} tiles; {SlideQuality.Describe(flags)}");
        }
        var results = tally
            .Select(t => new FlagResult(
                t.Key.ToString().ToLowerInvariant(),
                t.Value[0],
                t.Value[1],
                t.Value[2],
                t.Value[1] > 0 ? t.Value[2] / (double)t.Value[1] : null,
                t.Value[0] > 0 ? t.Value[2] / (double)t.Value[0] : null
            ))
            .ToList();
        return new Report(count, $"{width}x{height}", tiles, results);
    }

    /// <summary>Each tile's affected flags by the drawing (8 × 8 points a tile) and the flags quality control
    /// gives.</summary>
    private static (TileFlags[] Truth, TileFlags[] Flags) Slide(string path, Func<double, double, TileFlags> drawn)
    {
        using var slide = SlideImage.Open(path);
        var tiling = new SlideTilesOptions().Tiling;
        var tiles = SlideTiling.Plan(slide, TissueMap.Detect(slide), tiling);
        var flags = SlideQuality.Assess(slide, tiles, tiling.TileSize);
        var truth = tiles.Select(t => Affected(t, drawn)).ToArray();
        return (truth, flags);
    }

    private static TileFlags Affected(SlideTile tile, Func<double, double, TileFlags> drawn)
    {
        var counts = AffectedShare.Keys.ToDictionary(f => f, _ => 0);
        for (int j = 0; j < 8; j++)
        for (int i = 0; i < 8; i++)
        {
            var at = drawn(tile.X + (i + 0.5) * tile.Side / 8, tile.Y + (j + 0.5) * tile.Side / 8);
            foreach (var flag in AffectedShare.Keys)
                if (at.HasFlag(flag))
                    counts[flag]++;
        }
        return AffectedShare
            .Where(a => counts[a.Key] / 64.0 >= a.Value)
            .Aggregate(TileFlags.None, (all, a) => all | a.Key);
    }
}
