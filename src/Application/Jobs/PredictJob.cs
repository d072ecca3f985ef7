using System.Text.Json.Serialization;
using Amil.MLNet.Application.Staging;
using Amil.MLNet.Data.Datasets;

namespace Amil.MLNet.Application.Jobs;

/// <summary>The `predict` job: model + image file or folder (slide models: a slide file or folder) →
/// predictions.json.</summary>
public static class PredictJob
{
    /// <summary>One patch: where it is in the image and its value of the reported map (<see cref="Prediction.Map"/>
    /// names it); for class-aware models (additive, CLAM) also every class's map value.</summary>
    public sealed record PatchValue(
        [property: JsonPropertyName("x")] int X,
        [property: JsonPropertyName("y")] int Y,
        [property: JsonPropertyName("width")] int Width,
        [property: JsonPropertyName("height")] int Height,
        [property: JsonPropertyName("value")] float Value
    )
    {
        /// <summary>Class-aware models: class → this patch's value in that class's map; null otherwise.</summary>
        [JsonPropertyName("classes")]
        public IReadOnlyDictionary<string, float>? Classes { get; init; }
    }

    /// <summary>Which map predict reports per patch: the model's own (for class-aware models, that of the predicted
    /// class), or the map of <paramref name="MapClass"/> in every image; either one × p(<paramref
    /// name="WeightClass"/>) when given.</summary>
    public sealed record ReportedMap(string? MapClass = null, string? WeightClass = null)
    {
        public static readonly ReportedMap Model = new();

        /// <summary>A clear error for a class the model does not have, or a class map of a class-agnostic
        /// model.</summary>
        public void Check(IReadOnlyList<string> classes, MapKind kind)
        {
            foreach (var name in new[] { MapClass, WeightClass })
                if (name is not null)
                    IndexOf(classes, name);
            if (MapClass is not null && !kind.HasClassMaps())
                throw new ArgumentException(
                    $"The model's map ({kind.Name()}) is the same for every class: a class's own map needs a "
                        + "class-aware model (additive or CLAM pooling). Weight the map by p(class) instead."
                );
        }

        /// <summary>The name predictions.json gives the reported map, e.g. "contribution of malignant ×
        /// p(malignant)".</summary>
        public string Describe(MapKind kind) =>
            kind.Name()
            + (MapClass is null ? "" : $" of {MapClass}")
            + (WeightClass is null ? "" : $" × p({WeightClass})");
    }

    public sealed record Prediction(
        [property: JsonPropertyName("path")] string Path,
        [property: JsonPropertyName("predicted")] string Predicted,
        [property: JsonPropertyName("probabilities")] IReadOnlyDictionary<string, float> Probabilities,
        [property: JsonPropertyName("map")] string Map,
        [property: JsonPropertyName("patches")] IReadOnlyList<PatchValue> Patches
    )
    {
        /// <summary>Images: how the model resized and padded the image before cutting patches (resize width,
        /// resize height, width, height; see <see cref="Transforms.Bagging.ImageFrame"/>): the patches' x and y
        /// are in that prepared image's pixels. Null for slides and for models saved without a frame.</summary>
        [JsonPropertyName("frame")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public int[]? Frame { get; init; }

        /// <summary>How unsure the prediction is: the entropy of the (calibrated) probabilities over ln C, 0 certain,
        /// 1 uniform (<see cref="Maps.Metrics.Calibration.Uncertainty"/>).</summary>
        [JsonPropertyName("uncertainty")]
        public double Uncertainty { get; init; }

        /// <summary>Ensembles: the part of the uncertainty the models do not share (mutual information over ln C,
        /// 0 when they agree); absent for one model.</summary>
        [JsonPropertyName("disagreement")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public double? Disagreement { get; init; }

        /// <summary>Ensembles: how many models were averaged; absent for one model.</summary>
        [JsonPropertyName("models")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public int? Models { get; init; }

        /// <summary>True when the uncertainty is above the abstention threshold asked for: a case for a person to
        /// review. Absent when no threshold was given.</summary>
        [JsonPropertyName("review")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public bool? Review { get; init; }
    }

    /// <summary>What predict does beyond scoring the input with one model (each default: nothing more).</summary>
    public sealed record Options
    {
        /// <summary>Skip: unusable images are left out, logged and listed in skipped.json instead of stopping the
        /// job.</summary>
        public BadImagePolicy OnBadImage { get; init; } = BadImagePolicy.Error;

        /// <summary>Device, feature cache and shard (<see cref="ShardedPredictions"/>); null: the defaults.</summary>
        public ScoringOptions? Scoring { get; init; }

        /// <summary>Which map is reported; null: the model's own.</summary>
        public ReportedMap? Map { get; init; }

        /// <summary>Predictions more uncertain than this (0 to 1) are marked for review and listed.</summary>
        public double? AbstainAbove { get; init; }

        /// <summary>More models averaged with the first (<see cref="EnsemblePredictions"/>).</summary>
        public IReadOnlyList<string> Ensemble { get; init; } = [];
    }

    /// <summary>Scores every image (or slide) with the model (and <see cref="Options"/>) →
    /// OUT/predictions.json.</summary>
    public static IReadOnlyList<Prediction> Run(
        string modelPath,
        string input,
        string outDirectory,
        Action<string> log,
        Options? options = null,
        CancellationToken cancel = default
    )
    {
        options ??= new Options();
        var (onBadImage, map, ensemble) = (options.OnBadImage, options.Map, options.Ensemble);
        if (options.AbstainAbove is < 0 or > 1 or double.NaN)
            throw new ArgumentException(
                FormattableString.Invariant($"The abstention threshold must be 0 to 1 (got {options.AbstainAbove}).")
            );
        OutputFolder.Check(outDirectory); // before scoring, not after
        var scoring = options.Scoring ?? ScoringOptions.Default;
        var shard = scoring.Shard;
        var first = scoring.Load(modelPath);
        var all = first.Input == ModelInput.Slides ? SlideScoring.SlideFiles(input) : ListImages(input);
        bool sharded = shard is { Count: > 1 };
        var mine = sharded ? ShardedPredictions.Take(all, shard!.Value) : [.. all];
        var hashes = sharded ? ShardedPredictions.ModelHashes([modelPath, .. ensemble]) : [];
        List<Prediction> predictions;
        List<SkippedImage> skipped;
        if (sharded && ShardedPredictions.Finished(outDirectory, shard!.Value, mine, hashes) is { } done)
        {
            log($"Shard {shard!.Value.Index + 1} of {shard.Value.Count} was scored already with these models.");
            (predictions, skipped) = ([.. done.Predictions], [.. done.Skipped]);
        }
        else
        {
            predictions = Score(first, mine, log, onBadImage, scoring, map, cancel, out skipped);
            if (ensemble.Count > 0)
                predictions = Ensemble(
                    modelPath,
                    ensemble,
                    predictions,
                    skipped,
                    other =>
                        (Score(scoring.Load(other), mine, log, onBadImage, scoring, map, cancel, out var its), its),
                    log
                );
            if (options.AbstainAbove is double threshold)
                predictions = Abstain(predictions, threshold, log);
        }
        if (sharded)
        {
            var part = new ShardedPredictions.Part(
                shard!.Value.Index + 1,
                shard.Value.Count,
                hashes,
                mine,
                predictions,
                skipped
            );
            if (ShardedPredictions.Write(outDirectory, part, all, log) is not { } merged)
                return predictions;
            predictions = merged;
        }
        else
            Write(predictions, skipped, outDirectory, log);
        var classes = predictions.FirstOrDefault()?.Probabilities.Keys.ToList() ?? [];
        StageSubmission.Write(outDirectory, classes, [.. predictions.Select(p => (p.Path, p.Predicted))], log);
        return predictions;
    }

    /// <summary>Scores the input with every other model of the ensemble (same classes, in the same order, required)
    /// and averages the predictions.</summary>
    private static List<Prediction> Ensemble(
        string modelPath,
        IReadOnlyList<string> others,
        List<Prediction> first,
        List<SkippedImage> skipped,
        Func<string, (List<Prediction>, List<SkippedImage>)> score,
        Action<string> log
    )
    {
        var perModel = new List<List<Prediction>> { first };
        var classes = first.FirstOrDefault()?.Probabilities.Keys.ToList();
        foreach (var other in others)
        {
            var (predictions, itsSkipped) = score(other);
            var its = predictions.FirstOrDefault()?.Probabilities.Keys.ToList();
            if (classes is not null && its is not null && !classes.SequenceEqual(its))
                throw new ArgumentException(
                    $"The ensemble's models must have the same classes in the same order: {modelPath} has "
                        + $"{string.Join(", ", classes)}, {other} has {string.Join(", ", its)}."
                );
            perModel.Add(predictions);
            skipped.AddRange(itsSkipped.Where(s => skipped.All(k => k.Path != s.Path)));
        }
        log($"Averaging {perModel.Count} models' predictions (ensemble).");
        return EnsemblePredictions.Combine(perModel, skipped);
    }

    /// <summary>Marks each prediction reviewed or not and lists the ones to review, most uncertain first.</summary>
    private static List<Prediction> Abstain(List<Prediction> predictions, double threshold, Action<string> log)
    {
        var marked = predictions.Select(p => p with { Review = p.Uncertainty > threshold }).ToList();
        var review = marked.Where(p => p.Review == true).OrderByDescending(p => p.Uncertainty).ToList();
        log(
            FormattableString.Invariant(
                $"{review.Count} of {marked.Count} prediction(s) have an uncertainty above {threshold:G3}: "
            ) + (review.Count == 0 ? "none to review." : "review them:")
        );
        foreach (var p in review)
            log(FormattableString.Invariant($"  review  {p.Uncertainty:F3}  {p.Predicted}  {p.Path}"));
        return marked;
    }

    private static List<Prediction> Score(
        AmilModel model,
        IReadOnlyList<string> inputs,
        Action<string> log,
        BadImagePolicy onBadImage,
        ScoringOptions scoring,
        ReportedMap? map,
        CancellationToken cancel,
        out List<SkippedImage> skipped
    )
    {
        map ??= ReportedMap.Model;
        map.Check(model.ClassNames, model.MapKind);
        skipped = [];
        if (model.Input == ModelInput.Slides)
            return SlideScoring
                .ScoreFiles(model, inputs, scoring, log, cancel)
                .Select(s => ToPrediction(s, model.ClassNames, map))
                .ToList();
        var usable = ImageScreening
            .Screen(inputs.Select(p => new ImageRecord(p, "")).ToList(), null, onBadImage, skipped)
            .Select(r => r.Path)
            .ToList();
        log($"Scoring {usable.Count} image(s) (classes {string.Join("/", model.ClassNames)}).");
        List<Prediction> predictions;
        if (onBadImage == BadImagePolicy.Error)
            predictions = model
                .Score(usable)
                .Checked(cancel)
                .Select(s => ToPrediction(s, model.ClassNames, map))
                .ToList();
        else
        {
            // One image at a time, so an image the model's own patch settings cannot cut (e.g. smaller than its crop)
            // is skipped too.
            predictions = [];
            foreach (var image in usable)
            {
                cancel.ThrowIfCancellationRequested();
                try
                {
                    predictions.AddRange(model.Score([image]).Select(s => ToPrediction(s, model.ClassNames, map)));
                }
                catch (Exception e) when (UserProblem(e) is { } problem)
                {
                    skipped.Add(new SkippedImage(image, problem));
                }
            }
        }
        foreach (var s in skipped)
            log($"skipped {s.Path}: {s.Reason}");
        return predictions;
    }

    private static void Write(
        List<Prediction> predictions,
        List<SkippedImage> skipped,
        string outDirectory,
        Action<string> log
    )
    {
        OutputFolder.Create(outDirectory);
        var path = System.IO.Path.Combine(outDirectory, "predictions.json");
        RunFiles.WriteJson(path, predictions);
        if (skipped.Count > 0)
            RunFiles.WriteJson(System.IO.Path.Combine(outDirectory, "skipped.json"), skipped);
        log($"Wrote {path}{(skipped.Count > 0 ? $" ({skipped.Count} skipped image(s) listed in skipped.json)" : "")}.");
    }

    private static string? UserProblem(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x is Transforms.Images.ImageReadException or DatasetException or IOException)
                return x.Message;
        return null;
    }

    public static Prediction ToPrediction(ScoredImage s, IReadOnlyList<string> classes, ReportedMap? map = null)
    {
        map ??= ReportedMap.Model;
        var probabilities = new Dictionary<string, float>();
        for (int c = 0; c < classes.Count; c++)
            probabilities[classes[c]] = s.Probabilities[c];
        var classMaps = s.ClassMaps is null ? null : Enumerable.Range(0, classes.Count).Select(s.MapOf).ToArray();
        var values = map.MapClass is { } mapClass ? s.MapOf(IndexOf(classes, mapClass)) : s.Map;
        float weight = map.WeightClass is { } weightClass ? s.Probabilities[IndexOf(classes, weightClass)] : 1f;
        var patches = values
            .Select(
                (v, i) =>
                    new PatchValue(s.Coordinates[2 * i], s.Coordinates[2 * i + 1], s.PatchSize, s.PatchSize, v * weight)
                    {
                        Classes = classMaps is null
                            ? null
                            : classes.Select((name, c) => (name, c)).ToDictionary(x => x.name, x => classMaps[x.c][i]),
                    }
            )
            .ToList();
        return new Prediction(s.Path, classes[s.PredictedIndex], probabilities, map.Describe(s.MapKind), patches)
        {
            Frame = s.Frame?.Encode(),
            Uncertainty = Math.Round(Maps.Metrics.Calibration.Uncertainty(s.Probabilities), 4),
        };
    }

    private static int IndexOf(IReadOnlyList<string> classes, string name) =>
        classes.ToList().IndexOf(name) is var i and >= 0
            ? i
            : throw new ArgumentException(
                $"Class '{name}' is not one of the model's classes ({string.Join(", ", classes)})."
            );

    /// <summary>An image file, or the images in a folder and its subfolders (sorted; masks/ left out), for a model
    /// that scores images: a whole slide among them is refused, since such a model would score a crop of it.</summary>
    public static IReadOnlyList<string> ListImages(string input)
    {
        var images = ImagesIn(input);
        if (images.FirstOrDefault(Slides.SlideImage.IsWholeSlide) is { } slide)
            throw new ArgumentException(
                $"{slide} is a whole slide, but the model scores images (it was trained on an image dataset): it "
                    + "would score a crop of the slide, not the slide. Score slides with a model trained on a "
                    + "whole-slide dataset (docs/slides.md)."
            );
        return images;
    }

    private static List<string> ImagesIn(string input)
    {
        if (File.Exists(input))
            return [System.IO.Path.GetFullPath(input)];
        if (!Directory.Exists(input))
            throw new DatasetException($"{input}: no such file or folder; pass an image file or a folder of images.");
        var images = Directory
            .EnumerateFiles(input, "*", SearchOption.AllDirectories)
            .Where(DatasetReader.HasImageExtension)
            .Where(f =>
                !f.Split(System.IO.Path.DirectorySeparatorChar).Contains(Data.Synthetic.SyntheticHistology.MasksFolder)
            )
            .Order(StringComparer.Ordinal)
            .Select(System.IO.Path.GetFullPath)
            .ToList();
        return images.Count > 0
            ? images
            : throw new DatasetException($"{input}: folder has no images (png, jpg, bmp, tif).");
    }
}
