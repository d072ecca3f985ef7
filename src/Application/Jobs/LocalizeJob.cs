using System.Text.Json.Serialization;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Maps.Heatmaps;
using Amil.MLNet.Maps.Metrics;

namespace Amil.MLNet.Application.Jobs;

/// <summary>The `localize` job: one comparison of several models' maps (attention, additive contribution, CLAM class
/// attention, Grad-CAM) against tumour masks, with each model's bag accuracy and AUC on the same images →
/// DIR/localization.json and DIR/localization.md.</summary>
public static class LocalizeJob
{
    /// <summary>localization.json.</summary>
    public sealed record Report(
        [property: JsonPropertyName("methods")] IReadOnlyList<MethodResult> Methods,
        [property: JsonPropertyName("images")] int Images,
        [property: JsonPropertyName("dataset")] string Dataset,
        [property: JsonPropertyName("split")] string Split,
        [property: JsonPropertyName("normalization")] string Normalization,
        [property: JsonPropertyName("positive_patch_share")] double PositivePatchShare
    )
    {
        /// <summary>Each model after the first against the first, on the same images (classification).</summary>
        [JsonPropertyName("comparisons")]
        public IReadOnlyList<PairedComparison> Comparisons { get; init; } = [];

        /// <summary>The first row whose map is of this kind, as the model outputs it (neither a chosen class's map
        /// nor weighted).</summary>
        public LocalizationScores? Of(MapKind kind) =>
            Methods.FirstOrDefault(m => m.Map == kind.Name() && m.MapOf is null && m.WeightedBy is null)?.Scores;
    }

    /// <summary>One row of the comparison: a model and one way of reading its map.</summary>
    public sealed record MethodResult(
        [property: JsonPropertyName("method")] string Method,
        [property: JsonPropertyName("model")] string Model,
        [property: JsonPropertyName("map")] string Map,
        [property: JsonPropertyName("map_of_classes")] IReadOnlyList<string>? MapOf,
        [property: JsonPropertyName("weighted_by_probability_of")] IReadOnlyList<string>? WeightedBy,
        [property: JsonPropertyName("bag")] BagScores Bag,
        [property: JsonPropertyName("scores")] LocalizationScores Scores,
        [property: JsonPropertyName("per_class")] IReadOnlyDictionary<string, LocalizationScores>? PerClass
    );

    /// <summary>Image-level classification of the same images.</summary>
    public sealed record BagScores(
        [property: JsonPropertyName("images")] int Images,
        [property: JsonPropertyName("accuracy")] double Accuracy,
        [property: JsonPropertyName("auc")] double? Auc,
        [property: JsonPropertyName("macro_f1")] double MacroF1
    );

    /// <summary>What a comparison wrote: the table as Markdown and the files, for the caller to print.</summary>
    public sealed record Comparison(string Markdown, string Written);

    /// <summary>The comparison the dataset calls for: on images <see cref="Run"/>, on whole slides the slide
    /// models' maps per tile with FROC (<see cref="SlideScoring.Localize"/>), which always reports each map and the
    /// map × p(the classes with tumour in their masks).</summary>
    public static Comparison? Compare(
        IReadOnlyList<string> models,
        string? gradCamModelPath,
        DatasetSelection selection,
        string outDirectory,
        MapNormalization normalization,
        bool allItems,
        Action<string> log,
        IReadOnlyList<string>? tumourClasses,
        IReadOnlyList<string>? mapClasses,
        ScoringOptions? scoring = null,
        string? splitFile = null
    )
    {
        var (entry, root) = selection.Resolve();
        string json = Path.Combine(outDirectory, RunFiles.LocalizationFile);
        if (!DatasetReader.IsSlides(entry))
        {
            var report = Run(
                models,
                gradCamModelPath,
                selection,
                outDirectory,
                normalization,
                allItems,
                log,
                tumourClasses,
                mapClasses,
                scoring,
                splitFile
            );
            return report is null
                ? null
                : new Comparison(LocalizationTable.Markdown(report), $"{json} and {RunFiles.LocalizationMarkdownFile}");
        }
        if (gradCamModelPath is not null || tumourClasses is not null || mapClasses is not null)
            throw new ArgumentException(
                "On slides, localize compares slide-level models and always reports each map and the map × p(the "
                    + "classes with tumour in their masks); a Grad-CAM model, a weighting by p(class) and a class's "
                    + "own map are compared on image datasets."
            );
        var slides = SlideScoring.Localize(
            models,
            entry,
            root,
            outDirectory,
            allItems,
            scoring ?? ScoringOptions.Default,
            log,
            splitFile: splitFile
        );
        return slides is null
            ? null
            : new Comparison(
                SlideLocalization.Markdown(slides),
                $"{json}, {RunFiles.LocalizationMarkdownFile} and heatmaps/"
            );
    }

    /// <param name="models">MIL models (or any model.zip), each "PATH" or "LABEL=PATH"; the label names its rows
    /// (default: the run folder's name).</param>
    /// <param name="gradCamModelPath">A CNN baseline, scored with Grad-CAM.</param>
    /// <param name="tumourClasses">When given, every model also gets a row with its map × p(these classes).</param>
    /// <param name="mapClasses">When given, every class-aware model also gets a row with the map of these classes
    /// (summed) in every image.</param>
    /// <returns>The comparison; null when a shard (<see cref="ScoringOptions.Shard"/>) stored its scores and another
    /// is still scoring (the last one compares).</returns>
    public static Report? Run(
        IReadOnlyList<string> models,
        string? gradCamModelPath,
        DatasetSelection selection,
        string outDirectory,
        MapNormalization normalization,
        bool allImages,
        Action<string> log,
        IReadOnlyList<string>? tumourClasses = null,
        IReadOnlyList<string>? mapClasses = null,
        ScoringOptions? scoring = null,
        string? splitFile = null
    )
    {
        var loaded = Load(models, gradCamModelPath, scoring ?? ScoringOptions.Default);
        if (mapClasses is not null && !loaded.Any(m => m.Model.MapKind.HasClassMaps()))
            throw new ArgumentException(
                "--map-class needs a class-aware model (train --pooling additive or clam); the models given have "
                    + $"{string.Join(", ", loaded.Select(m => m.Model.MapKind.Name()).Distinct())} maps, one map "
                    + "for the predicted class."
            );

        var (entry, root) = selection.Resolve();
        var records = DatasetReader.Read(entry, root, log);
        var images = Localizing.WithMasks(EvaluateJob.TestPart(records, entry, root, allImages, splitFile), entry.Name);
        var scoredByModel = ShardedScores.ScoreEach(
            loaded,
            images,
            allImages ? "images" : "test images",
            scoring ?? ScoringOptions.Default,
            outDirectory,
            log,
            CancellationToken.None
        );
        if (scoredByModel is null)
            return null; // the last shard compares
        var rows = new List<MethodResult>();
        var probabilities = new List<(string Name, IReadOnlyList<float[]> Probabilities)>();
        foreach (var (loadedModel, scored) in loaded.Zip(scoredByModel))
        {
            probabilities.Add((loadedModel.Label, [.. scored.Select(s => s.Probabilities)]));
            rows.AddRange(Rows(loadedModel, images, scored, normalization, tumourClasses, mapClasses));
        }
        var report = new Report(
            rows,
            images.Count,
            entry.Name,
            allImages ? "all" : "test",
            normalization.ToString().ToLowerInvariant(),
            LocalizationEvaluator.PositivePatchShare
        )
        {
            Comparisons = PairedComparison.AgainstFirst(probabilities, loaded[0].Model.ClassNames, images),
        };
        RunFiles.WriteLocalization(
            outDirectory,
            report,
            LocalizationTable.Markdown(report) + PairedComparison.Markdown(report.Comparisons)
        );
        return report;
    }

    /// <summary>A model's rows: its own map, the map of the classes asked for (class-aware models), and its map
    /// weighted by p(tumour) when asked.</summary>
    private static IEnumerable<MethodResult> Rows(
        LabelledModel.Loaded loaded,
        IReadOnlyList<ImageRecord> images,
        IReadOnlyList<ScoredImage> scored,
        MapNormalization normalization,
        IReadOnlyList<string>? tumourClasses,
        IReadOnlyList<string>? mapClasses
    )
    {
        var (label, path, model) = loaded;
        var metrics = Evaluation.Evaluate(model, images, scored);
        var bag = new BagScores(metrics.Images, metrics.Accuracy, metrics.Auc, metrics.MacroF1);
        var pairs = images.Zip(scored).ToList();
        string map = model.MapKind.Name();
        MethodResult Row(string method, IReadOnlyList<string>? weightedBy, IReadOnlyList<string>? mapOf)
        {
            var block = LocalizationBlock.From(
                Localizing.Evaluate(model.ClassNames, pairs, normalization, weightedBy, mapOf)
            );
            return new(method, path, map, mapOf, weightedBy, bag, block.Scores, block.PerClass);
        }
        yield return Row($"{label}: {map}", null, null);
        if (mapClasses is not null && model.MapKind.HasClassMaps())
            yield return Row($"{label}: {map} of {string.Join(" + ", mapClasses)}", null, mapClasses);
        if (tumourClasses is not null)
        {
            string of = model.MapKind.HasClassMaps() ? $" of {string.Join(" + ", tumourClasses)}" : "";
            yield return Row($"{label}: {map}{of} × p({string.Join(" + ", tumourClasses)})", tumourClasses, null);
        }
    }

    private static List<LabelledModel.Loaded> Load(
        IReadOnlyList<string> models,
        string? gradCamModelPath,
        ScoringOptions scoring
    )
    {
        if (models.Count == 0 && gradCamModelPath is null)
            throw new ArgumentException(
                "Pass --model (one or more MIL models) and/or --gradcam-model (a CNN baseline)."
            );
        var loaded = LabelledModel.LoadAll(models, ModelInput.Images, scoring);
        if (gradCamModelPath is not null)
        {
            var (label, path) = LabelledModel.Parse(gradCamModelPath);
            var cnn = scoring.Load(path, ModelInput.Images);
            if (cnn.MapKind != MapKind.GradCam)
                throw new ArgumentException(
                    $"--gradcam-model {path} is a {cnn.MapKind.Name()} model; pass a CNN baseline (train --baseline "
                        + "cnn), or give this model with --model."
                );
            loaded.Add(new LabelledModel.Loaded(label, path, cnn));
        }
        return LabelledModel.Unique(loaded);
    }
}

/// <summary>A model path with an optional label: "LABEL=PATH" or "PATH" (label: the model's folder name).</summary>
public static class LabelledModel
{
    /// <summary>A model loaded under its label.</summary>
    public sealed record Loaded(string Label, string Path, AmilModel Model);

    public static (string Label, string Path) Parse(string text)
    {
        int eq = text.IndexOf('=');
        if (eq > 0 && !File.Exists(text) && text[..eq].IndexOfAny(['/', '\\']) < 0)
            return (text[..eq], text[(eq + 1)..]);
        var folder = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(text)));
        return (string.IsNullOrEmpty(folder) ? Path.GetFileNameWithoutExtension(text) : folder, text);
    }

    /// <summary>Each "LABEL=PATH" or "PATH" loaded as a model of <paramref name="input"/>; two models of one label
    /// are refused.</summary>
    public static List<Loaded> LoadAll(IEnumerable<string> texts, ModelInput input, ScoringOptions scoring) =>
        Unique([.. texts.Select(Parse).Select(m => new Loaded(m.Label, m.Path, scoring.Load(m.Path, input)))]);

    /// <summary><paramref name="models"/>, after checking that no two share a label.</summary>
    public static List<Loaded> Unique(List<Loaded> models) =>
        models.GroupBy(m => m.Label).FirstOrDefault(g => g.Count() > 1) is { } twice
            ? throw new ArgumentException(
                $"Two models are labelled '{twice.Key}'; name them, e.g. --model amil={twice.First().Path}."
            )
            : models;
}
