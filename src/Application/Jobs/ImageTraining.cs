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
        bagging.Stain = data.Stain?.Profile;
        var device = TrainingSteps.Begin(
            session,
            settings,
            data,
            $"{data.Records.Count} images{(skipped.Count > 0 ? $" ({skipped.Count} bad files skipped)" : "")}",
            Details(settings, bagging, data.Records.Count)
        );
        int workers = settings.Workers ?? AttentionMilOptions.DefaultReadWorkers;
        session.Log($"Bags per step: {settings.BatchBags}; decoding on {workers} worker{(workers == 1 ? "" : "s")}.");
        if (settings.ResumeFromCheckpoint)
            session.Log($"Resuming from {Path.Combine(session.Directory, RunFiles.CheckpointFile)}.");

        var ml = new MLContext(seed: settings.Seed);
        var labelKeys = LabelKeys(ml, data.Classes);
        var trainer = RunTrainer.Create(
            ml,
            settings,
            device,
            settings.OnFeatures ? FeatureTraining.FeaturesColumn : "Bag",
            session.Directory,
            session.Log,
            cancel
        );
        var clock = Stopwatch.StartNew();
        var fitted = settings.OnFeatures
            ? FitOnFeatures(ml, labelKeys, trainer, settings, bagging, data.Split, session.Log, cancel)
            : FitOnPatches(ml, labelKeys, trainer, bagging, data.Split);
        double trainSeconds = clock.Elapsed.TotalSeconds;
        RunFiles.WriteHistory(session.Directory, fitted.Attention.History);
        var model = Save(session, new AmilModel(ml, fitted.Pipeline).OnDevice(device), fitted.Attention, trainSeconds);
        return TrainingSteps.Finish(
            session,
            model,
            data.Split,
            new(fitted.Attention, trainSeconds),
            metrics => metrics with { SkippedImages = skipped.Count > 0 ? skipped : null, FeatureCache = fitted.Cache }
        );
    }

    /// <summary>A trained model: its head, the whole chain that scores an image, and the feature cache's use.</summary>
    private sealed record Fitted(
        AttentionMilTransformer Attention,
        ITransformer Pipeline,
        Features.FeatureCacheReport? Cache
    );

    /// <summary>What config.json records of an image run beyond what every run records.</summary>
    private static (string, object?)[] Details(TrainSettings settings, PatchBaggingOptions bagging, int images) =>
        [
            ("images", images),
            ("encoder", settings.OnFeatures ? EncoderRecord.Of(settings.Encoder) : null),
            ("cnn_input_scale", settings.Network == NetworkArchitecture.CnnBaseline ? settings.CnnInputScale : null),
            ("pad_small_images", settings.PadSmallImages),
            (
                "patches",
                new
                {
                    resize = bagging.ResizeHeight is null ? "none" : $"{bagging.ResizeHeight}x{bagging.ResizeWidth}",
                    crop = bagging.CropHeight is null ? "none" : $"{bagging.CropHeight}x{bagging.CropWidth}",
                    size = bagging.PatchSize,
                    stride = bagging.Stride,
                }
            ),
        ];

    /// <summary>Class names to label keys in a fixed (sorted) order, so key i+1 is class i in every split and in the
    /// saved model.</summary>
    private static ITransformer LabelKeys(MLContext ml, IReadOnlyList<string> classes) =>
        ml
            .Transforms.Conversion.MapValueToKey(
                "Label",
                keyData: ml.Data.LoadFromEnumerable(classes.Select(c => new LabelRow { Label = c }))
            )
            .Fit(ml.Data.LoadFromEnumerable(Array.Empty<ImageRow>()));

    private static IDataView Rows(MLContext ml, ITransformer labelKeys, IEnumerable<ImageRecord> part) =>
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

    /// <summary>The network trained end to end on each bag's patches.</summary>
    private static Fitted FitOnPatches(
        MLContext ml,
        ITransformer labelKeys,
        AttentionMilTrainer trainer,
        PatchBaggingOptions bagging,
        DatasetSplit split
    )
    {
        var trainView = Rows(ml, labelKeys, split.Train);
        var bagged = ml.Transforms.BagPatches(bagging).Fit(trainView);
        var attention = trainer.Fit(
            bagged.Transform(trainView),
            split.Validation.Count > 0 ? bagged.Transform(Rows(ml, labelKeys, split.Validation)) : null
        );
        return new(attention, bagged.Append(attention), null);
    }

    /// <summary>The head trained on frozen features, filled into the cache first.</summary>
    private static Fitted FitOnFeatures(
        MLContext ml,
        ITransformer labelKeys,
        AttentionMilTrainer trainer,
        TrainSettings settings,
        PatchBaggingOptions bagging,
        DatasetSplit split,
        Action<string> log,
        CancellationToken cancel
    )
    {
        var trainView = Rows(ml, labelKeys, split.Train);
        var bagged = ml.Transforms.BagPatches(bagging).Fit(trainView);
        var features = new FeatureTraining(ml, labelKeys, bagging, settings.FeatureCacheFolder, settings.Encoder, log);
        var cache = features.Fill([.. split.Train, .. split.Validation], cancel);
        var attention = trainer.Fit(
            features.Rows(split.Train),
            split.Validation.Count > 0 ? features.Rows(split.Validation) : null
        );
        var pipeline = bagged.Append(features.Extractor(bagged.Transform(trainView))).Append(attention);
        return new(attention, pipeline, cache);
    }

    private static AmilModel Save(
        RunSession session,
        AmilModel model,
        AttentionMilTransformer attention,
        double trainSeconds
    )
    {
        string path = Path.Combine(session.Directory, RunFiles.ModelFile);
        model.Save(path);
        session.Log(
            $"Saved {path} (best epoch {attention.BestEpoch} of {attention.History.Count}, {trainSeconds:F0}s)."
        );
        return model;
    }

    private sealed class LabelRow
    {
        public string Label { get; set; } = "";
    }
}
