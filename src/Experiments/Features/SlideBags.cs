using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Experiments.Jobs;

namespace Amil.MLNet.Experiments.Features;

/// <summary>Slides' bags of tile features from the slide feature cache, encoding the slides not cached yet.</summary>
public static class SlideBags
{
    public static IReadOnlyDictionary<string, SlideFeatureBag> Load(
        IEnumerable<ImageRecord> slides,
        string? cacheFolder,
        Action<string> log,
        CancellationToken cancel
    )
    {
        var cache = new SlideFeatureCache(cacheFolder ?? Path.Combine(".cache", "features"), SlideFeaturesJob.Tiling);
        var bags = new Dictionary<string, SlideFeatureBag>(StringComparer.Ordinal);
        var list = slides.ToList();
        int encoded = 0;
        double encodeSeconds = 0;
        foreach (var (record, i) in list.Select((r, i) => (r, i)))
        {
            var outcome = cache.Get(record.Path, null, cancel);
            bags[record.Path] = outcome.Bag;
            if (!outcome.Hit)
                (encoded, encodeSeconds) = (encoded + outcome.Bag.Tiles.Count, encodeSeconds + outcome.Seconds);
            log(
                $"  features {i + 1}/{list.Count}: {SlideLayout.SlideId(record.Path)}, {outcome.Bag.Tiles.Count} "
                    + $"tiles{(outcome.Hit ? " (cached)" : "")}"
            );
        }
        if (encoded > 0)
            log(FormattableString.Invariant($"Encoded {encoded} tiles at {encoded / encodeSeconds:F1} tiles/s."));
        return bags;
    }
}
