using System.Diagnostics;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Experiments.Features;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Features;

namespace Amil.MLNet.Experiments.Jobs;

/// <summary>`features` on a whole-slide dataset: every slide's tiles (224 px at 20×, over tissue) through ResNet18
/// into the slide feature cache, slide by slide (a rerun skips finished slides), with tiles/s.</summary>
public static class SlideFeaturesJob
{
    public static FeatureExtraction.Summary Run(
        DatasetEntry entry,
        string root,
        string cacheFolder,
        SlideTilesOptions tiling,
        (int Index, int Count) shard,
        Action<string> log,
        CancellationToken cancel,
        Action<int, int>? onSlide = null
    )
    {
        var slides = DatasetReader
            .ReadSlides(entry, root, log)
            .Select(r => r.Path)
            .Order(StringComparer.Ordinal)
            .Where((_, i) => i % shard.Count == shard.Index)
            .ToList();
        tiling.Validate();
        var cache = new SlideFeatureCache(cacheFolder, tiling.Tiling);
        log(
            $"{entry.Name}: {slides.Count} slides{(shard.Count > 1 ? $", shard {shard.Index + 1}/{shard.Count}" : "")}"
                + $"; {Describe(tiling)}; cache {cache.Folder}"
        );
        int hits = 0,
            computed = 0,
            tiles = 0,
            done = 0;
        double seconds = 0;
        foreach (var slide in slides)
        {
            var clock = Stopwatch.StartNew();
            var lastReport = TimeSpan.Zero;
            var outcome = cache.Get(
                slide,
                (finished, total) =>
                {
                    if (clock.Elapsed - lastReport < TimeSpan.FromSeconds(5) && finished != total)
                        return;
                    lastReport = clock.Elapsed;
                    double rate = finished / clock.Elapsed.TotalSeconds;
                    log($"  {Path.GetFileName(slide)}: {finished}/{total} tiles, {rate:F1} tiles/s");
                },
                cancel
            );
            if (outcome.Hit)
                hits++;
            else
            {
                computed++;
                tiles += outcome.Bag.Tiles.Count;
                seconds += outcome.Seconds;
            }
            onSlide?.Invoke(++done, slides.Count);
        }
        if (computed > 0)
            log(
                FormattableString.Invariant(
                    $"{tiles} tiles encoded at {tiles / seconds:F1} tiles/s (tissue, tiling and reading included)."
                )
            );
        return new FeatureExtraction.Summary(slides.Count, hits, computed, tiles, seconds, Slides: true);
    }

    /// <summary>"224 px tiles at 20×", "224 px tiles at 0.25 µm/px, overlapping 50 %".</summary>
    public static string Describe(SlideTilesOptions t) =>
        FormattableString.Invariant(
            $"{t.TileSize} px tiles at {(t.MicronsPerPixel is { } mpp ? $"{mpp} µm/px" : $"{t.Magnification}×")}"
        ) + (t.Overlap > 0 ? FormattableString.Invariant($", overlapping {t.Overlap:P0}") : "");
}
