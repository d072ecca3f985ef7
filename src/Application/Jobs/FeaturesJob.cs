using System.Diagnostics;
using Amil.MLNet.Application.Features;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Slides;
using Amil.MLNet.Trainers;
using Amil.MLNet.Transforms.Encoders;
using Amil.MLNet.Transforms.Features;

namespace Amil.MLNet.Application.Jobs;

/// <summary>The `features` job: a dataset's images or slides (or one shard of them) into the feature cache, with
/// progress and ETA, the encoder on the settings' device; a rerun skips what is cached. Images and slides differ only
/// in how the cache and its sources are made.</summary>
public static class FeaturesJob
{
    /// <param name="onItem">Progress per image or slide (done, total) for a live display; when null, an ETA line is
    /// logged every 5 s.</param>
    public static FeatureExtraction.Summary Run(
        TrainSettings settings,
        string cacheFolder,
        (int Index, int Count) shard,
        Action<string> log,
        CancellationToken cancel,
        Action<int, int>? onItem = null,
        TimeSpan? claimTimeout = null
    )
    {
        using var encoders = EncoderExecution.OnCuda(ComputeDevice.Parse(settings.Device).CudaIndex());
        var (entry, root) = settings.Dataset.Resolve();
        bool slides = DatasetReader.IsSlides(entry);
        CheckSettings(settings, entry.Name, slides);
        var (paths, lookup, describe, cached) = slides
            ? SlideSource(entry, root, cacheFolder, WithStain(settings), log)
            : ImageSource(entry, root, cacheFolder, settings, log);
        string noun = slides ? "slides" : "images";
        log(
            $"{entry.Name}: {paths.Count} {noun}{(shard.Count > 1 ? $", shard {shard.Index + 1}/{shard.Count}" : "")}"
                + $"; {describe}"
        );
        var clock = Stopwatch.StartNew();
        var summary = FeatureExtraction.Fill(
            paths,
            lookup,
            shard,
            onItem ?? Every5Seconds(clock, noun, log),
            cancel,
            slides,
            slides ? TileRate(log) : null,
            claimTimeout is { } timeout
                ? new FeatureExtraction.Claiming(
                    new SourceClaims(cacheFolder, timeout),
                    cached,
                    TimeSpan.FromSeconds(10),
                    log
                )
                : null
        );
        if (summary.Computed > 0)
            log(
                FormattableString.Invariant(
                    $"{summary.Patches} {(slides ? "tiles" : "patches")} encoded at {summary.PatchesPerSecond:F1}/s "
                ) + (slides ? "(tissue, tiling and reading included)." : "(decoding and cutting included).")
            );
        return summary;
    }

    /// <summary>The tiling, with the stain reference when one is given.</summary>
    private static SlideTilesOptions WithStain(TrainSettings settings)
    {
        var tiling = settings.SlideTiles;
        tiling.Stain = StainReference(settings, slides: true);
        return tiling;
    }

    /// <summary>The given stain reference (<see cref="CheckSettings"/> made sure there is one).</summary>
    private static Transforms.Stain.StainProfile? StainReference(TrainSettings settings, bool slides) =>
        StainReferences
            .Resolve(settings.Stain, settings.StainReference, [], slides, _ => { }, settings.SlideTiles.Tiling)
            ?.Profile;

    /// <summary>Refuses, before any work, what this job cannot do: normalised stains without the reference file
    /// (a training chooses its default among its training items, which this job does not know), and the slide
    /// settings on images.</summary>
    private static void CheckSettings(TrainSettings settings, string dataset, bool slides)
    {
        StainReferences.Check(settings.Stain, settings.StainReference);
        if (settings.Stain != Transforms.Stain.StainMethod.None && settings.StainReference is null)
            throw new ArgumentException(
                "Filling the cache with normalised stains needs the stain reference file: a training chooses its "
                    + "default reference among its training items, which this job does not know. Give the "
                    + "reference here and to the training alike."
            );
        if (!slides)
            settings.RefuseTilingOnImages(dataset);
    }

    /// <summary>"224 px tiles at 20×", "224 px tiles at 0.25 µm/px, overlapping 50 %".</summary>
    public static string Describe(SlideTilesOptions t) =>
        FormattableString.Invariant(
            $"{t.TileSize} px tiles at {(t.MicronsPerPixel is { } mpp ? $"{mpp} µm/px" : $"{t.Magnification}×")}"
        ) + (t.Overlap > 0 ? FormattableString.Invariant($", overlapping {t.Overlap:P0}") : "");

    private static Source ImageSource(
        DatasetEntry entry,
        string root,
        string cacheFolder,
        TrainSettings settings,
        Action<string> log
    )
    {
        var bagging = DataPreparation.BaggingOptions(entry.Patches, settings);
        var records = DatasetReader.Read(entry, root, log);
        ImageScreening.Screen(records, bagging, BadImagePolicy.Error, new List<SkippedImage>());
        bagging.Stain = StainReference(settings, slides: false);
        var cache = new FeatureCache(cacheFolder, bagging, new PatchFeatureOptions { Extractor = settings.Encoder });
        return new Source(
            [.. records.Select(r => r.Path)],
            FeatureExtraction.Images(cache),
            $"{bagging.PatchSize} px patches, stride {bagging.Stride}; cache {cache.Folder}",
            path => File.Exists(cache.EntryPath(path))
        );
    }

    private static Source SlideSource(
        DatasetEntry entry,
        string root,
        string cacheFolder,
        SlideTilesOptions tiling,
        Action<string> log
    )
    {
        var slides = DatasetReader.ReadSlides(entry, root, log).Select(r => r.Path).ToList();
        tiling.Validate();
        var cache = new SlideFeatureCache(
            cacheFolder,
            tiling.Tiling,
            encoder: tiling.Encoder,
            stain: tiling.Stain,
            qualityControl: tiling.QualityControl
        );
        return new Source(
            slides,
            FeatureExtraction.Slides(cache),
            $"{Describe(tiling)}; cache {cache.Folder}",
            path => File.Exists(cache.EntryPath(path))
        );
    }

    private sealed record Source(
        IReadOnlyList<string> Paths,
        Func<string, Action<int, int>?, CancellationToken, FeatureExtraction.Lookup> Lookup,
        string Description,
        Func<string, bool> Cached
    );

    private static Action<int, int> Every5Seconds(Stopwatch clock, string noun, Action<string> log)
    {
        var lastReport = TimeSpan.Zero;
        return (done, total) =>
        {
            if (clock.Elapsed - lastReport < TimeSpan.FromSeconds(5) && done != total)
                return;
            lastReport = clock.Elapsed;
            var eta = TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / done * (total - done));
            log($"  {done}/{total} {noun}, {clock.Elapsed:mm\\:ss} elapsed, ETA {eta:mm\\:ss}");
        };
    }

    /// <summary>Tiles and tiles/s inside a slide, every 5 s, and once when a slide that was reported on is done; a
    /// slide that takes less than that is covered by the slides' progress line.</summary>
    private static Action<string, int, int> TileRate(Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        var (lastEvent, slideStart, lastReport) = (TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
        string? current = null;
        return (slide, finished, total) =>
        {
            var now = clock.Elapsed;
            if (slide != current)
            {
                // This slide's work began when the previous one's last tiles were reported.
                (current, slideStart, lastReport) = (slide, lastEvent, lastEvent);
            }
            lastEvent = now;
            bool reported = lastReport > slideStart;
            if (now - lastReport < TimeSpan.FromSeconds(5) && !(finished == total && reported))
                return;
            lastReport = now;
            double rate = finished / Math.Max((now - slideStart).TotalSeconds, 1e-9);
            log(
                FormattableString.Invariant($"  {Path.GetFileName(slide)}: {finished}/{total} tiles, {rate:F1} tiles/s")
            );
        };
    }
}
