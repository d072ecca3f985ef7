using Amil.MLNet.Application.Features;
using Amil.MLNet.Data.Datasets;

namespace Amil.MLNet.Application.Jobs;

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
        Maps.Heatmaps.MapNormalization normalization = Maps.Heatmaps.MapNormalization.None,
        ScoringOptions? scoring = null,
        string? splitFile = null,
        CancellationToken cancel = default,
        IReadOnlyDictionary<string, string>? classMap = null
    )
    {
        scoring ??= ScoringOptions.Default;
        var (entry, root) = selection.Resolve();
        bool slides = DatasetReader.IsSlides(entry);
        var model = scoring.Load(modelPath, slides ? ModelInput.Slides : ModelInput.Images);
        var skipped = new List<SkippedImage>();
        var listed = slides
            ? SlideScoring.Slides(entry, root, allImages, log, splitFile)
            : Images(entry, root, allImages, splitFile, onBadImage, skipped, log);
        var mapping = ClassMapping.Resolve(listed, model.ClassNames, classMap, entry.Name);
        if (mapping.Count > 0)
            log($"Classes mapped by name: {string.Join(", ", mapping.Select(m => $"{m.Key} → {m.Value}"))}.");
        var items = ClassMapping.Apply(listed, mapping);
        log(
            $"Evaluating {modelPath} on {items.Count} {(allImages ? "" : "test ")}{(slides ? "slides" : "images")} "
                + $"of '{entry.Name}'."
        );
        if (slides)
            SlideBags.Watch(scoring.FeatureCache, log);
        else if (localization)
            Localizing.WithMasks(items, entry.Name); // no masks: say so before scoring
        var scored = Evaluation.Score(model, items, cancel);
        var evaluated = Evaluation.Evaluate(model, items, scored);
        var metrics = new RunMetrics(model.ClassNames, evaluated, null, null, null, null)
        {
            Unit = slides ? RunReport.SlideUnit : "images",
            SkippedImages = skipped.Count > 0 ? skipped : null,
            CpuKernels = Trainers.Kernels.CpuKernels.Current,
            ScoredOn = model.Device.ToString(),
            ClassMap = mapping.Count > 0 ? mapping : null,
            Localization =
                localization && !slides
                    ? LocalizationBlock.From(Localizing.Evaluate(model.ClassNames, items.Zip(scored), normalization))
                    : null,
        };
        OutputFolder.Create(outDirectory);
        RunFiles.WriteJson(Path.Combine(outDirectory, RunFiles.MetricsFile), metrics);
        // Slides: the CAMELYON16 measures (tile AUROC/AP, FROC) of the maps in localization.json, with heatmaps.
        if (localization && slides)
            if (
                SlideLocalization.Run(
                    items,
                    scored,
                    model.ClassNames,
                    outDirectory,
                    log,
                    LabelledModel.Parse(modelPath).Label,
                    metrics.Test
                ) is
                { } report
            )
                RunFiles.WriteJson(Path.Combine(outDirectory, RunFiles.LocalizationFile), report);
        return metrics;
    }

    /// <summary>What is evaluated: every item, the test part of a split file, or the dataset's own test
    /// split.</summary>
    internal static IReadOnlyList<ImageRecord> TestPart(
        IReadOnlyList<ImageRecord> records,
        DatasetEntry entry,
        string root,
        bool all,
        string? splitFile
    )
    {
        if (all && splitFile is not null)
            throw new ArgumentException(
                "Evaluating every item and the test part of a split file contradict each other; choose one."
            );
        return all ? records
            : splitFile is { } file ? SplitFile.Read(Path.GetFullPath(file), root, records).Test
            : DatasetSplit.For(records, entry).Test;
    }

    /// <summary>The test images (or every image), screened: bad files stop the job or, when skipped, are listed.
    /// </summary>
    private static IReadOnlyList<ImageRecord> Images(
        DatasetEntry entry,
        string root,
        bool all,
        string? splitFile,
        BadImagePolicy onBadImage,
        List<SkippedImage> skipped,
        Action<string> log
    )
    {
        var records = DatasetReader.Read(entry, root, log, onBadImage == BadImagePolicy.Skip ? skipped : null);
        var split = new DatasetSplit([], [], TestPart(records, entry, root, all, splitFile));
        var images = DataPreparation
            .ScreenedSplit(split with { Train = [], Validation = [] }, null, onBadImage, skipped, log)
            .Test;
        return images.Count > 0
            ? images
            : throw new DatasetException(
                $"Dataset '{entry.Name}' has no test images; pass --split all to evaluate every image."
            );
    }
}
