using System.Diagnostics;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Transforms.Features;

namespace Amil.MLNet.Experiments.Jobs;

/// <summary>The `features` job: a dataset's images (or one shard of them) into the feature cache, with progress and
/// ETA.</summary>
public static class FeaturesJob
{
    /// <param name="onImage">Progress per image (done, total) for a live display; when null, an ETA line is logged
    /// every 5 s.</param>
    public static FeatureExtraction.Summary Run(
        TrainSettings settings,
        string cacheFolder,
        (int Index, int Count) shard,
        Action<string> log,
        CancellationToken cancel,
        Action<int, int>? onImage = null
    )
    {
        var (entry, root) = settings.Dataset.Resolve();
        if (DatasetReader.IsSlides(entry))
            return SlideFeaturesJob.Run(entry, root, cacheFolder, settings.SlideTiles, shard, log, cancel, onImage);
        var bagging = DataPreparation.BaggingOptions(entry.Patches, settings);
        var records = DatasetReader.Read(entry, root, log);
        ImageScreening.Screen(records, bagging, BadImagePolicy.Error, new List<SkippedImage>());
        var cache = new FeatureCache(
            cacheFolder,
            bagging,
            new PatchFeatureOptions { Extractor = PatchFeatureExtractor.ResNet18 }
        );
        log(
            $"{entry.Name}: {records.Count} "
                + $"images{(shard.Count > 1 ? $", shard {shard.Index + 1}/{shard.Count}" : "")}; "
                + $"{bagging.PatchSize} px patches, stride {bagging.Stride}; cache {cache.Folder}"
        );
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        return FeatureExtraction.Fill(
            cache,
            records.Select(r => r.Path).ToList(),
            shard,
            onImage
                ?? (
                    (done, total) =>
                    {
                        if (clock.Elapsed - lastReport < TimeSpan.FromSeconds(5) && done != total)
                            return;
                        lastReport = clock.Elapsed;
                        var eta = TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / done * (total - done));
                        log($"  {done}/{total} images, {clock.Elapsed:mm\\:ss} elapsed, ETA {eta:mm\\:ss}");
                    }
                ),
            cancel
        );
    }
}
