using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Slides;

namespace Amil.MLNet.Experiments.Features;

/// <summary>Slides' tile features made ready for TileSlides before a job trains on or scores them: the slides not in
/// the feature cache yet are encoded first, with progress in the log (TileSlides itself cannot log).</summary>
public static class SlideBags
{
    /// <summary>The tiling jobs use: TileSlides' defaults (CLAM's 224 px tiles at 20×).</summary>
    public static TilingSettings Tiling => new SlideTilesOptions().Tiling;

    /// <summary>Points TileSlides at <paramref name="cacheFolder"/> (default <c>.cache/features</c>) for the calling
    /// job, and encodes the slides missing from it.</summary>
    public static void Prepare(
        IEnumerable<string> slides,
        string? cacheFolder,
        Action<string> log,
        CancellationToken cancel
    )
    {
        SlideFeatures.CacheFolder = cacheFolder;
        var cache = new SlideFeatureCache(SlideFeatures.CacheFolder, Tiling);
        var list = slides.ToList();
        int encoded = 0;
        double encodeSeconds = 0;
        foreach (var (slide, i) in list.Select((s, i) => (s, i)))
        {
            var outcome = cache.Get(slide, null, cancel);
            if (!outcome.Hit)
                (encoded, encodeSeconds) = (encoded + outcome.Bag.Tiles.Count, encodeSeconds + outcome.Seconds);
            log(
                $"  features {i + 1}/{list.Count}: {SlideLayout.SlideId(slide)}, {outcome.Bag.Tiles.Count} "
                    + $"tiles{(outcome.Hit ? " (cached)" : "")}"
            );
        }
        if (encoded > 0)
            log(FormattableString.Invariant($"Encoded {encoded} tiles at {encoded / encodeSeconds:F1} tiles/s."));
    }
}
