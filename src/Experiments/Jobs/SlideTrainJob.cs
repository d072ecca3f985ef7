using System.Diagnostics;
using System.Globalization;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Experiments.Features;
using Amil.MLNet.Trainers;
using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Transforms;
using Microsoft.ML;

namespace Amil.MLNet.Experiments.Jobs;

/// <summary>
/// `train` on a whole-slide dataset: each slide is one bag of its tiles' cached ResNet18 features (224 px at 20×,
/// over tissue); the attention head trains on them, the test slides are scored, and their maps are measured
/// against the tumour masks (tile AUROC / AP, FROC) and drawn (PNG over the slide, QuPath GeoJSON).
/// </summary>
public static class SlideTrainJob
{
    public static TrainJob.Result Run(
        TrainSettings settings,
        DatasetEntry entry,
        string root,
        ComputeDevice device,
        Action<string> log,
        CancellationToken cancel
    )
    {
        if (settings.Network != NetworkArchitecture.FeatureAttentionMil)
            throw new DatasetException(
                $"Dataset '{entry.Name}' holds whole slides, which train on frozen ResNet18 tile features: add "
                    + "--encoder resnet18."
            );
        if (settings.ResumeFromCheckpoint)
            throw new ArgumentException(
                "Slide-level runs do not resume yet: train again (the tile features are cached, so only the head "
                    + "trains again)."
            );
        var records = DatasetReader.ReadSlides(entry, root, log);
        var split = DatasetSplit.For(records, entry);
        if (split.Train.Count == 0 || split.Test.Count == 0)
            throw new DatasetException(
                $"Dataset '{entry.Name}': {records.Count} slides leave {split.Train.Count} for training and "
                    + $"{split.Test.Count} for testing; add slides."
            );
        var classes = records.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).ToArray();
        if (classes.Length < 2)
            throw new DatasetException($"Dataset '{entry.Name}' has only one class ({classes[0]}).");
        string runDir = Path.GetFullPath(
            settings.OutDirectory
                ?? Path.Combine(
                    "runs",
                    $"{entry.Name}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}"
                )
        );
        if (File.Exists(Path.Combine(runDir, RunFiles.ModelFile)))
            throw new ArgumentException(
                $"{runDir} already holds a finished run ({RunFiles.ModelFile}); pick another --out."
            );
        Directory.CreateDirectory(runDir);
        log($"Run folder: {runDir}");
        log(
            $"Dataset '{entry.Name}': {records.Count} slides, classes {string.Join('/', classes)}; train "
                + $"{split.Train.Count}, validation {split.Validation.Count}, test {split.Test.Count}."
        );
        RunFiles.WriteSplit(runDir, root, entry, split);
        RunFiles.WriteJson(
            Path.Combine(runDir, RunFiles.ConfigFile),
            new
            {
                settings = settings with
                {
                    OutDirectory = runDir,
                    Resume = null,
                },
                dataset = entry.Name,
                slides = records.Count,
                tiling = new
                {
                    tile = SlideFeaturesJob.Tiling.TileSize,
                    magnification = SlideFeaturesJob.Tiling.Magnification,
                },
                device_used = device.Describe(),
                versions = Versions.All(),
            }
        );

        var cache = new SlideFeatureCache(
            settings.FeatureCacheFolder ?? Path.Combine(".cache", "features"),
            SlideFeaturesJob.Tiling
        );
        var bags = new Dictionary<string, SlideFeatureBag>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        int encoded = 0;
        double encodeSeconds = 0;
        foreach (var (record, i) in records.Select((r, i) => (r, i)))
        {
            var outcome = cache.Get(record.Path, null, cancel);
            bags[record.Path] = outcome.Bag;
            if (!outcome.Hit)
                (encoded, encodeSeconds) = (encoded + outcome.Bag.Tiles.Count, encodeSeconds + outcome.Seconds);
            log(
                $"  features {i + 1}/{records.Count}: {SlideLayout.SlideId(record.Path)}, {outcome.Bag.Tiles.Count} "
                    + $"tiles{(outcome.Hit ? " (cached)" : "")}"
            );
        }
        if (encoded > 0)
            log(FormattableString.Invariant($"Encoded {encoded} tiles at {encoded / encodeSeconds:F1} tiles/s."));

        var ml = new MLContext(seed: settings.Seed);
        var rows = new SlideRows(ml, classes, bags);
        var options = TrainerOptions.From(settings, device, log, cancel);
        options.BagColumnName = SlideRows.FeaturesColumn;
        var trainer = ml.MulticlassClassification.Trainers.AttentionMil(options);
        clock.Restart();
        var train = rows.View(split.Train);
        var head = trainer.Fit(train, split.Validation.Count > 0 ? rows.View(split.Validation) : null);
        double trainSeconds = clock.Elapsed.TotalSeconds;
        RunFiles.WriteHistory(runDir, head.History);
        AtomicFile.Write(Path.Combine(runDir, RunFiles.ModelFile), temp => ml.Model.Save(head, train.Schema, temp));
        log($"Saved {Path.Combine(runDir, RunFiles.ModelFile)} (best epoch {head.BestEpoch} of {head.History.Count}).");

        var test = SlideScoring.Score(ml, head, rows, split.Test, bags);
        var validation = split.Validation.Count > 0 ? SlideScoring.Score(ml, head, rows, split.Validation, bags) : null;
        ClassificationMetrics Metrics(IReadOnlyList<ScoredImage> scored, IReadOnlyList<ImageRecord> part) =>
            ClassificationMetrics.Compute(
                scored,
                part.Select(r => Array.IndexOf(classes, r.Label)).ToList(),
                part.Select(r => r.Patient).ToList(),
                classes.Length
            );
        var metrics = new RunMetrics(
            head.ClassNames,
            Metrics(test, split.Test),
            validation is null ? null : Metrics(validation, split.Validation),
            head.BestEpoch,
            head.History.Count,
            Math.Round(trainSeconds, 1)
        );
        RunFiles.WriteJson(Path.Combine(runDir, RunFiles.MetricsFile), metrics);
        var localization = SlideLocalization.Run(split.Test, test, classes, runDir, log);
        if (localization is not null)
            RunFiles.WriteJson(Path.Combine(runDir, SlideLocalization.File), localization);
        return new TrainJob.Result(runDir, metrics);
    }
}
