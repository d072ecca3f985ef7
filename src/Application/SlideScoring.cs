using Amil.MLNet.Application.Features;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Slides;
using Amil.MLNet.Trainers;

namespace Amil.MLNet.Application;

/// <summary>The slide half of `localize`, `heatmap` and `predict` (not a job of its own; those jobs call it
/// for slide models and datasets): the slides' tile features come from the feature cache (encoded first when missing),
/// so any slide dataset or slide file can be scored after training.</summary>
public static class SlideScoring
{
    /// <summary>One comparison of slide models' maps against the tumour masks: tile AUROC / AP and FROC per map, with
    /// each model's slide accuracy and AUC → DIR/localization.json, DIR/localization.md and
    /// DIR/heatmaps/LABEL/.</summary>
    /// <returns>The comparison; null when a shard (<see cref="ScoringOptions.Shard"/>) stored its scores and another
    /// is still scoring (the last one compares).</returns>
    public static SlideLocalization.Report? Localize(
        IReadOnlyList<string> models,
        DatasetEntry entry,
        string root,
        string outDirectory,
        bool allSlides,
        ScoringOptions scoring,
        Action<string> log,
        CancellationToken cancel = default,
        string? splitFile = null
    )
    {
        if (models.Count == 0)
            throw new ArgumentException("Pass --model: one or more slide-level models (train on a slide dataset).");
        var loaded = LabelledModel.LoadAll(models, ModelInput.Slides, scoring);
        var slides = Slides(entry, root, allSlides, log, splitFile).Where(s => s.MaskPath is not null).ToList();
        if (slides.Count == 0)
            throw new DatasetException(
                $"Dataset '{entry.Name}' has no {(allSlides ? "" : "test ")}slides with tumour masks (masks/ID.png); "
                    + "localization needs them."
            );
        SlideBags.Watch(log);
        var scoredByModel = Jobs.ShardedScores.ScoreEach(
            loaded,
            slides,
            allSlides ? "slides" : "test slides",
            scoring,
            outDirectory,
            log,
            cancel
        );
        if (scoredByModel is null)
            return null; // the last shard compares
        var reports = new List<SlideLocalization.Report>();
        foreach (var ((label, _, model), scored) in loaded.Zip(scoredByModel))
        {
            var report =
                SlideLocalization.Run(
                    slides,
                    scored,
                    model.ClassNames,
                    outDirectory,
                    log,
                    label,
                    Evaluation.Evaluate(model, slides, scored),
                    Path.Combine(outDirectory, "heatmaps", label)
                )
                ?? throw new DatasetException(
                    $"Dataset '{entry.Name}': no slide's mask marks any tumour; localization needs tumour in the masks."
                );
            reports.Add(report);
        }
        var combined = reports[0] with
        {
            Methods = [.. reports.SelectMany(r => r.Methods)],
            Comparisons = PairedComparison.AgainstFirst(
                [.. loaded.Zip(scoredByModel).Select(m => (m.First.Label, Probabilities(m.Second)))],
                loaded[0].Model.ClassNames,
                slides
            ),
        };
        RunFiles.WriteLocalization(
            outDirectory,
            combined,
            SlideLocalization.Markdown(combined) + PairedComparison.Markdown(combined.Comparisons)
        );
        return combined;
    }

    private static IReadOnlyList<float[]> Probabilities(IReadOnlyList<ScoredImage> scored) =>
        [.. scored.Select(s => s.Probabilities)];

    /// <summary>Heatmaps of slide files: per slide ID.png over the tissue thumbnail, coloured by the evidence for
    /// <paramref name="tumourClasses"/> (<see cref="TumourEvidence"/>, as the viewer draws it; default: the classes
    /// <see cref="TumourClasses"/> names) on one scale shared by the slides, and ID.geojson with the map and each
    /// class's evidence as measurements.</summary>
    /// <returns>The slides drawn; null when a shard (<see cref="ScoringOptions.Shard"/>) stored its scores and
    /// another is still scoring (the last one draws every slide).</returns>
    public static IReadOnlyList<ScoredImage>? Heatmap(
        AmilModel model,
        string modelPath,
        string input,
        string outDirectory,
        IReadOnlyList<string>? tumourClasses,
        ScoringOptions scoring,
        Action<string> log,
        CancellationToken cancel = default
    )
    {
        var classes = model.ClassNames;
        var tumour = TumourClasses.Of(classes, tumourClasses);
        var slides = SlideFiles(input);
        var scored = Jobs.ShardedScores.Score(
            scoring,
            outDirectory,
            "heatmap",
            modelPath,
            slides,
            s => s,
            part => ScoreFiles(model, part, scoring, log, cancel),
            log
        );
        if (scored is null)
            return null;
        string name = scored[0].MapKind.Name();
        IReadOnlyList<(string, float[])> Measurements(ScoredImage s) =>
            [
                (name, SlideHeatmaps.Relative(s)),
                .. classes.Select(c =>
                    (TumourEvidence.Describe(s.MapKind, [c]), TumourEvidence.Values(s, classes, [c]))
                ),
            ];
        SlideHeatmaps.Write(
            scored,
            SlideHeatmaps.Slide.Open,
            s => TumourEvidence.Values(s, classes, tumour),
            Measurements,
            outDirectory
        );
        log($"Colour: {TumourEvidence.Describe(scored[0].MapKind, tumour)}, one scale for every slide.");
        foreach (var s in scored)
        {
            float p = s.Probabilities[s.PredictedIndex];
            log(FormattableString.Invariant($"{SlideLayout.SlideId(s.Path)}: {classes[s.PredictedIndex]} (p {p:F3})"));
        }
        return scored;
    }

    /// <summary>The slide files scored (features from the cache, encoded when missing).</summary>
    internal static IReadOnlyList<ScoredImage> ScoreFiles(
        AmilModel model,
        IReadOnlyList<string> slides,
        ScoringOptions scoring,
        Action<string> log,
        CancellationToken cancel
    )
    {
        log($"Scoring {slides.Count} slide(s) (classes {string.Join("/", model.ClassNames)}).");
        SlideBags.Watch(log);
        return model.Score(slides).Checked(cancel).ToList();
    }

    /// <summary>The test slides (or every slide) of a slide dataset.</summary>
    internal static List<ImageRecord> Slides(
        DatasetEntry entry,
        string root,
        bool all,
        Action<string> log,
        string? splitFile = null
    )
    {
        var records = DatasetReader.ReadSlides(entry, root, log);
        var slides = Jobs.EvaluateJob.TestPart(records, entry, root, all, splitFile);
        if (slides.Count == 0)
            throw new DatasetException($"Dataset '{entry.Name}' has no test slides; pass --split all.");
        return [.. slides];
    }

    /// <summary>A slide file, or the slide files in a folder (sorted), for a model that scores whole slides: an
    /// image is refused, naming the kind of model it needs.</summary>
    public static List<string> SlideFiles(string input)
    {
        if (File.Exists(input))
            return IsSlideFile(input) && !SlideImage.IsPhoto(input) ? [Path.GetFullPath(input)]
                : DatasetReader.HasImageExtension(input) ? throw ImageForSlideModel(input)
                : throw new InvalidDataException(
                    $"{input}: not a slide file (expected {string.Join(", ", SlideImage.Extensions)})."
                );
        if (!Directory.Exists(input))
            throw new FileNotFoundException($"{input}: no such slide file or folder.", input);
        var files = Directory.EnumerateFiles(input).Where(IsSlideFile).Order(StringComparer.Ordinal).ToList();
        if (files.FirstOrDefault(SlideImage.IsPhoto) is { } photo)
            throw ImageForSlideModel(photo);
        return files.Count > 0 ? files
            : Directory.EnumerateFiles(input).FirstOrDefault(DatasetReader.HasImageExtension) is { } image
                ? throw ImageForSlideModel(image)
            : throw new FileNotFoundException(
                $"{input}: no slide files ({string.Join(", ", SlideImage.Extensions)}) in this folder.",
                input
            );
    }

    private static bool IsSlideFile(string path) =>
        SlideImage.Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    private static ArgumentException ImageForSlideModel(string path) =>
        new(
            $"{path} is an image, but the model scores whole slides (it was trained on a slide dataset). Score images "
                + $"with a model trained on images, or pass slide files ({string.Join(", ", SlideImage.Extensions)})."
        );
}
