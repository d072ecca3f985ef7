using Amil.MLNet.Data.Datasets;

namespace Amil.MLNet.Experiments.Jobs;

/// <summary>The `evaluate` job: model + dataset → metrics.json on the dataset's test split (or every image or
/// slide).</summary>
public static class EvaluateJob
{
    public static RunMetrics Run(
        string modelPath,
        DatasetSelection selection,
        string outDirectory,
        bool allImages,
        Action<string> log,
        BadImagePolicy onBadImage = BadImagePolicy.Error,
        bool localization = false,
        Localization.Heatmaps.MapNormalization normalization = Localization.Heatmaps.MapNormalization.None,
        ScoringOptions? scoring = null
    )
    {
        var (entry, root) = selection.Resolve();
        if (DatasetReader.IsSlides(entry))
            return SlideScoring.Evaluate(
                modelPath,
                entry,
                root,
                outDirectory,
                allImages,
                localization,
                scoring ?? ScoringOptions.Default,
                log
            );
        var model = (scoring ?? ScoringOptions.Default).Load(modelPath, ModelInput.Images);
        var skipped = new List<SkippedImage>();
        var records = DatasetReader.Read(entry, root, log, onBadImage == BadImagePolicy.Skip ? skipped : null);
        var split = allImages ? new DatasetSplit([], [], records) : DatasetSplit.For(records, entry);
        var images = DataPreparation
            .ScreenedSplit(split with { Train = [], Validation = [] }, null, onBadImage, skipped, log)
            .Test;
        if (images.Count == 0)
            throw new DatasetException(
                $"Dataset '{entry.Name}' has no test images; pass --split all to evaluate every image."
            );
        log($"Evaluating {modelPath} on {images.Count} {(allImages ? "" : "test ")}images of '{entry.Name}'.");
        if (localization)
            Localizing.WithMasks(images, entry.Name); // no masks: say so before scoring
        var scored = Evaluation.Score(model, images);
        var metrics = new RunMetrics(
            model.ClassNames,
            Evaluation.Evaluate(model, images, scored),
            null,
            null,
            null,
            null
        )
        {
            SkippedImages = skipped.Count > 0 ? skipped : null,
            CpuKernels = Trainers.Kernels.CpuKernels.Current,
            Localization = localization
                ? LocalizationBlock.From(Localizing.Evaluate(model.ClassNames, images.Zip(scored), normalization))
                : null,
        };
        OutputFolder.Create(outDirectory);
        RunFiles.WriteJson(Path.Combine(outDirectory, "metrics.json"), metrics);
        return metrics;
    }
}
