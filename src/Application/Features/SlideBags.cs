using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Encoders;
using Amil.MLNet.Transforms.Stain;

namespace Amil.MLNet.Application.Features;

/// <summary>Slides' tile features for a job: encoded up front with progress (training and `features`, whose
/// tiling is known), or as TileSlides meets them while a model scores (the model carries its own tiling and cache
/// folder), with each encoded slide logged.</summary>
public static class SlideBags
{
    /// <summary>One bag to prepare: a slide, tiled within its annotated regions when a file is given, recoloured by
    /// a training copy's augmentation when one is given.</summary>
    public sealed record Item(string Slide, string? Regions = null, ColourAugmentation? Augmentation = null);

    /// <summary>What one prepared bag holds: its tiles, their level-0 side, and what quality control left out (null
    /// where it did not run, or the entry was cached before summaries were kept).</summary>
    public sealed record Prepared(int Tiles, int Side, QualitySummary? Quality);

    /// <summary>Points TileSlides at <paramref name="cacheFolder"/> (default <c>.cache/features</c>) for the calling
    /// job, and encodes the bags missing from it with <paramref name="tiling"/> (its tiling and encoder).</summary>
    /// <returns>Each bag's tiles and quality-control summary, in order.</returns>
    public static IReadOnlyList<Prepared> Prepare(
        IEnumerable<Item> items,
        string? cacheFolder,
        SlideTilesOptions tiling,
        Action<string> log,
        CancellationToken cancel
    )
    {
        SlideFeatures.CacheFolder = cacheFolder;
        var cache = Cache(tiling);
        var list = items.ToList();
        int encoded = 0;
        double encodeSeconds = 0;
        var prepared = new List<Prepared>(list.Count);
        foreach (var (item, i) in list.Select((s, i) => (s, i)))
        {
            var outcome = cache.Get(item.Slide, null, cancel, item.Regions, item.Augmentation);
            var bag = outcome.Bag;
            prepared.Add(new Prepared(bag.Tiles.Count, bag.Tiles[0].Side, bag.Quality));
            if (!outcome.Hit)
                (encoded, encodeSeconds) = (encoded + outcome.Bag.Tiles.Count, encodeSeconds + outcome.Seconds);
            var details =
                (item.Regions is null ? "" : " within its annotations")
                + (item.Augmentation is { } a ? $", recoloured ({a})" : "")
                + (outcome.Bag.Quality is { Excluded: > 0 } q ? $", {q.Excluded} left out by quality control" : "");
            log(
                $"  features {i + 1}/{list.Count}: {SlideLayout.SlideId(item.Slide)}, {outcome.Bag.Tiles.Count} "
                    + $"tiles{details}{(outcome.Hit ? " (cached)" : "")}"
            );
        }
        if (encoded > 0)
            log(
                FormattableString.Invariant($"Encoded {encoded} tiles at {encoded / encodeSeconds:F1} tiles/s")
                    + (
                        EncoderTuning.Find(tiling.Encoder) is { } tuned
                            ? $" (batches of {tuned.BatchSize} on {tuned.Threads} threads, tuned for this machine)."
                            : "."
                    )
            );
        return prepared;
    }

    /// <summary>The feature cache TileSlides with <paramref name="tiling"/> reads in the calling job
    /// (<see cref="SlideFeatures.CacheFolder"/>).</summary>
    public static SlideFeatureCache Cache(SlideTilesOptions tiling) =>
        new(
            SlideFeatures.CacheFolder,
            tiling.Tiling,
            encoder: tiling.Encoder,
            stain: tiling.Stain,
            qualityControl: tiling.QualityControl
        );

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
