using Amil.MLNet.Application.Features;
using Amil.MLNet.Data.Datasets;

namespace Amil.MLNet.Application.Jobs;

/// <summary>The `evaluate` job: model + dataset → metrics.json on the dataset's test split (or every image or
/// slide).</summary>
public static class EvaluateJob
{
    /// <summary>How `evaluate` scores; the defaults evaluate the test split on the CPU.</summary>
    public sealed record Options
    {
        /// <summary>Every image or slide of the dataset instead of its test split.</summary>
        public bool AllItems { get; init; }

        /// <summary>Skip: unusable images are left out and listed in metrics.json instead of stopping the job.
        /// </summary>
        public BadImagePolicy OnBadImage { get; init; } = BadImagePolicy.Error;

        /// <summary>Also score the maps against the tumour masks.</summary>
        public bool Localization { get; init; }

        /// <summary>How maps are normalised before the localization metrics.</summary>
        public Maps.Heatmaps.MapNormalization Normalization { get; init; } = Maps.Heatmaps.MapNormalization.None;

        /// <summary>Device, feature cache and shard.</summary>
        public ScoringOptions Scoring { get; init; } = ScoringOptions.Default;

        /// <summary>Evaluate the test part of this split file instead of the dataset's test split.</summary>
        public string? SplitFile { get; init; }

        /// <summary>The dataset's class names mapped to the model's (external validation).</summary>
        public IReadOnlyDictionary<string, string>? ClassMap { get; init; }
    }

    /// <summary>Scores the items and writes OUT/metrics.json (and localization.json for slides); with a shard,
    /// returns null until the last shard has scored its part (<see cref="ShardedScores"/>).</summary>
    public static RunMetrics? Run(
        string modelPath,
        DatasetSelection selection,
        string outDirectory,
        Action<string> log,
        Options? options = null,
        CancellationToken cancel = default
    )
    {
        options ??= new Options();
        var scoring = options.Scoring;
        var (entry, root) = selection.Resolve();
        bool slides = DatasetReader.IsSlides(entry);
        var model = scoring.Load(modelPath, slides ? ModelInput.Slides : ModelInput.Images);
        var skipped = new List<SkippedImage>();
        var listed = slides
            ? SlideScoring.Slides(entry, root, options.AllItems, log, options.SplitFile)
            : Images(entry, root, options, skipped, log);
        var mapping = ClassMapping.Resolve(listed, model.ClassNames, options.ClassMap, entry.Name);
        if (mapping.Count > 0)
            log($"Classes mapped by name: {string.Join(", ", mapping.Select(m => $"{m.Key} → {m.Value}"))}.");
        var items = ClassMapping.Apply(listed, mapping);
        log(
            $"Evaluating {modelPath} on {items.Count} {(options.AllItems ? "" : "test ")}"
                + $"{(slides ? "slides" : "images")} of '{entry.Name}'."
        );
        if (slides)
            SlideBags.Watch(log);
        else if (options.Localization)
            Localizing.WithMasks(items, entry.Name); // no masks: say so before scoring
        OutputFolder.Check(outDirectory);
        var scored = ShardedScores.Score(
            scoring,
            outDirectory,
            "evaluate",
            modelPath,
            items,
            r => r.Path,
            part => Evaluation.Score(model, part, cancel),
            log
        );
        return scored is null
            ? null
            : Write(model, modelPath, items, scored, outDirectory, options, skipped, mapping, log);
    }

    private static RunMetrics Write(
        AmilModel model,
        string modelPath,
        IReadOnlyList<ImageRecord> items,
        IReadOnlyList<ScoredImage> scored,
        string outDirectory,
        Options options,
        List<SkippedImage> skipped,
        IReadOnlyDictionary<string, string> mapping,
        Action<string> log
    )
    {
        bool slides = model.Input == ModelInput.Slides;
        var evaluated = Evaluation.Evaluate(model, items, scored);
        OutputFolder.Create(outDirectory);
        var localization = options.Localization
            ? TestLocalization.Measure(
                model,
                items,
                scored,
                outDirectory,
                LabelledModel.Parse(modelPath).Label,
                evaluated,
                log,
                options.Normalization
            )
            : TestLocalization.Measured.None;
        var metrics = new RunMetrics(model.ClassNames, evaluated, null, null, null, null)
        {
            Unit = slides ? RunReport.SlideUnit : "images",
            SkippedImages = skipped.Count > 0 ? skipped : null,
            CpuKernels = Trainers.Kernels.CpuKernels.Current,
            ScoredOn = model.Device.ToString(),
            ClassMap = mapping.Count > 0 ? mapping : null,
            Localization = localization.Images,
        };
        RunFiles.WriteJson(Path.Combine(outDirectory, RunFiles.MetricsFile), metrics);
        localization.WriteInto(outDirectory);
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
        Options options,
        List<SkippedImage> skipped,
        Action<string> log
    )
    {
        var (all, splitFile, onBadImage) = (options.AllItems, options.SplitFile, options.OnBadImage);
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
