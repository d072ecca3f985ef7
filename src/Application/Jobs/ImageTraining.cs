using System.Diagnostics;
using Amil.MLNet.Application.Features;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Trainers;
using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Transforms.Bagging;
using Microsoft.ML;

namespace Amil.MLNet.Application.Jobs;

/// <summary>`train` on images, inside its run session: config.json, label keys, bagging (and ResNet18 features from
/// the cache when asked), Attention-MIL or the CNN baseline, model.zip, then the test split scored → metrics.json and
/// report.html.</summary>
internal static class ImageTraining
{
    public static RunMetrics Train(
        RunSession session,
        TrainSettings settings,
        TrainingSteps.Data data,
        PatchBaggingOptions bagging,
        IReadOnlyList<SkippedImage> skipped,
        CancellationToken cancel
    )
    {
        var (entry, root, records, split, classes, _) = data;
        string runDir = session.Directory;
        Action<string> log = session.Log;
        bagging.Stain = data.Stain?.Profile;
        var device = TrainingSteps.Begin(
            session,
            settings,
            data,
            $"{records.Count} images{(skipped.Count > 0 ? $" ({skipped.Count} bad files skipped)" : "")}",
            [
                ("images", records.Count),
                ("encoder", settings.OnFeatures ? EncoderRecord.Of(settings.Encoder) : null),
                (
                    "cnn_input_scale",
                    settings.Network == NetworkArchitecture.CnnBaseline ? settings.CnnInputScale : null
                ),
                ("pad_small_images", settings.PadSmallImages),
                (
                    "patches",
                    new
                    {
                        resize = bagging.ResizeHeight is null
                            ? "none"
                            : $"{bagging.ResizeHeight}x{bagging.ResizeWidth}",
                        crop = bagging.CropHeight is null ? "none" : $"{bagging.CropHeight}x{bagging.CropWidth}",
                        size = bagging.PatchSize,
                        stride = bagging.Stride,
                    }
                ),
            ]
        );
        int workers = settings.Workers ?? AttentionMilOptions.DefaultReadWorkers;
        log($"Bags per step: {settings.BatchBags}; decoding on {workers} worker{(workers == 1 ? "" : "s")}.");

        var ml = new MLContext(seed: settings.Seed);
        // Class order is fixed (sorted names), so key i+1 is class i in every split and in the saved model.
        var labelKeys = ml
            .Transforms.Conversion.MapValueToKey(
                "Label",
                keyData: ml.Data.LoadFromEnumerable(classes.Select(c => new LabelRow { Label = c }))
            )
            .Fit(ml.Data.LoadFromEnumerable(Array.Empty<ImageRow>()));
        IDataView Rows(IEnumerable<ImageRecord> part) =>
            labelKeys.Transform(
                ml.Data.LoadFromEnumerable(
                    part.Select(r => new ImageRow
                        {
                            ImagePath = r.Path,
                            Label = r.Label,
                            Patient = r.Patient ?? "",
                        })
                        .ToList()
                )
            );

        if (settings.ResumeFromCheckpoint)
            log($"Resuming from {Path.Combine(runDir, RunFiles.CheckpointFile)}.");
        bool featureMode = settings.OnFeatures;
        var trainer = RunTrainer.Create(
            ml,
            settings,
            device,
            featureMode ? FeatureTraining.FeaturesColumn : "Bag",
            runDir,
            log,
            cancel
        );
        var bagger = ml.Transforms.BagPatches(bagging);

        var clock = Stopwatch.StartNew();
        var trainView = Rows(split.Train);
        var baggedTrain = bagger.Fit(trainView);
        AttentionMilTransformer attention;
        ITransformer pipeline;
        Features.FeatureCacheReport? cacheReport = null;
        if (featureMode)
        {
            var features = new FeatureTraining(
                ml,
                labelKeys,
                bagging,
                settings.FeatureCacheFolder,
                settings.Encoder,
                log
            );
            cacheReport = features.Fill([.. split.Train, .. split.Validation], cancel);
            attention = trainer.Fit(
                features.Rows(split.Train),
                split.Validation.Count > 0 ? features.Rows(split.Validation) : null
            );
            pipeline = baggedTrain.Append(features.Extractor(baggedTrain.Transform(trainView))).Append(attention);
        }
        else
        {
            attention = trainer.Fit(
                baggedTrain.Transform(trainView),
                split.Validation.Count > 0 ? baggedTrain.Transform(Rows(split.Validation)) : null
            );
            pipeline = baggedTrain.Append(attention);
        }
        double trainSeconds = clock.Elapsed.TotalSeconds;
        RunFiles.WriteHistory(runDir, attention.History);

        var model = new AmilModel(ml, pipeline).OnDevice(device);
        model.Save(Path.Combine(runDir, RunFiles.ModelFile));
        log(
            $"Saved {Path.Combine(runDir, RunFiles.ModelFile)} (best epoch {attention.BestEpoch} of "
                + $"{attention.History.Count}, {trainSeconds:F0}s)."
        );
        return TrainingSteps.Finish(
            session,
            model,
            split,
            new(attention, trainSeconds),
            metrics => metrics with { SkippedImages = skipped.Count > 0 ? skipped : null, FeatureCache = cacheReport }
        );
    }

    private sealed class LabelRow
    {
        public string Label { get; set; } = "";
    }
}
