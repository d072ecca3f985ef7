using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Slides;

namespace Amil.MLNet.Application.Features;

/// <summary>Slides' tile features for a job: encoded up front with progress (training and `features`, whose
/// tiling is known), or as TileSlides meets them while a model scores (the model carries its own tiling and cache
/// folder), with each encoded slide logged.</summary>
public static class SlideBags
{
    /// <summary>Points TileSlides at <paramref name="cacheFolder"/> (default <c>.cache/features</c>) for the calling
    /// job, and encodes the slides missing from it with <paramref name="tiling"/> (its tiling and encoder), each within
    /// its annotated regions where a regions file is given.</summary>
    /// <returns>Each slide's quality-control summary, in order (null where quality control did not run, or the entry
    /// was cached before summaries were kept).</returns>
    public static IReadOnlyList<QualitySummary?> Prepare(
        IEnumerable<(string Slide, string? Regions)> slides,
        string? cacheFolder,
        SlideTilesOptions tiling,
        Action<string> log,
        CancellationToken cancel
    )
    {
        SlideFeatures.CacheFolder = cacheFolder;
        var cache = new SlideFeatureCache(
            SlideFeatures.CacheFolder,
            tiling.Tiling,
            encoder: tiling.Encoder,
            stain: tiling.Stain,
            qualityControl: tiling.QualityControl
        );
        var list = slides.ToList();
        int encoded = 0;
        double encodeSeconds = 0;
        var quality = new List<QualitySummary?>(list.Count);
        foreach (var ((slide, regions), i) in list.Select((s, i) => (s, i)))
        {
            var outcome = cache.Get(slide, null, cancel, regions);
            quality.Add(outcome.Bag.Quality);
            if (!outcome.Hit)
                (encoded, encodeSeconds) = (encoded + outcome.Bag.Tiles.Count, encodeSeconds + outcome.Seconds);
            var left =
                (regions is null ? "" : " within its annotations")
                + (outcome.Bag.Quality is { Excluded: > 0 } q ? $", {q.Excluded} left out by quality control" : "");
            log(
                $"  features {i + 1}/{list.Count}: {SlideLayout.SlideId(slide)}, {outcome.Bag.Tiles.Count} "
                    + $"tiles{left}{(outcome.Hit ? " (cached)" : "")}"
            );
        }
        if (encoded > 0)
            log(FormattableString.Invariant($"Encoded {encoded} tiles at {encoded / encodeSeconds:F1} tiles/s."));
        return quality;
    }

    /// <summary>Logs each slide TileSlides has to encode while a model scores in the calling job (cached ones
    /// silently); the model carries its cache folder (AmilModel.FeatureCache, set by <see cref="ScoringOptions"/>).
    /// </summary>
    public static void Watch(Action<string> log)
    {
        var gate = new object();
        SlideFeatures.OnSlide = e =>
        {
            if (e.Cached)
                return;
            lock (gate)
                log(
                    FormattableString.Invariant(
                        $"  features: {SlideLayout.SlideId(e.SlidePath)}, {e.Tiles} tiles encoded in {e.Seconds:F1} s "
                    ) + FormattableString.Invariant($"({e.Tiles / Math.Max(e.Seconds, 1e-9):F1} tiles/s)")
                );
        };
    }
}
