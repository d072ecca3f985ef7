using System.Text.Json.Serialization;
using Amil.MLNet.Data.Datasets;

namespace Amil.MLNet.Experiments.Jobs;

/// <summary>The `predict` job: model + image file or folder → predictions.json (slide-level models: slide files,
/// see <see cref="SlideMapsJob.Predict"/>).</summary>
public static class PredictJob
{
    /// <summary>One patch: where it is in the image and its map value (attention weight, or Grad-CAM for the CNN
    /// baseline).</summary>
    public sealed record PatchValue(
        [property: JsonPropertyName("x")] int X,
        [property: JsonPropertyName("y")] int Y,
        [property: JsonPropertyName("width")] int Width,
        [property: JsonPropertyName("height")] int Height,
        [property: JsonPropertyName("value")] float Value
    );

    public sealed record Prediction(
        [property: JsonPropertyName("path")] string Path,
        [property: JsonPropertyName("predicted")] string Predicted,
        [property: JsonPropertyName("probabilities")] IReadOnlyDictionary<string, float> Probabilities,
        [property: JsonPropertyName("map")] string Map,
        [property: JsonPropertyName("patches")] IReadOnlyList<PatchValue> Patches
    );

    /// <summary>Scores every image; with <see cref="BadImagePolicy.Skip"/>, unusable images are left out, logged and
    /// listed
    /// in skipped.json instead of stopping the job.</summary>
    public static IReadOnlyList<Prediction> Run(
        string modelPath,
        string input,
        string outDirectory,
        Action<string> log,
        BadImagePolicy onBadImage = BadImagePolicy.Error,
        string? featureCache = null
    )
    {
        AmilModel model;
        try
        {
            model = AmilModel.Load(modelPath);
        }
        catch (SlideLevelModelException)
        {
            return SlideMapsJob.Predict(modelPath, input, outDirectory, featureCache, log);
        }
        var images = ListImages(input);
        var skipped = new List<SkippedImage>();
        var usable = ImageScreening
            .Screen(images.Select(p => new ImageRecord(p, "")).ToList(), null, onBadImage, skipped)
            .Select(r => r.Path)
            .ToList();
        log($"Scoring {usable.Count} image(s) with {modelPath} (classes {string.Join("/", model.ClassNames)}).");
        List<Prediction> predictions;
        if (onBadImage == BadImagePolicy.Error)
            predictions = model.Score(usable).Select(s => ToPrediction(s, model.ClassNames)).ToList();
        else
        {
            // One image at a time, so an image the model's own patch settings cannot cut (e.g. smaller than its crop)
            // is skipped too.
            predictions = [];
            foreach (var image in usable)
            {
                try
                {
                    predictions.AddRange(model.Score([image]).Select(s => ToPrediction(s, model.ClassNames)));
                }
                catch (Exception e) when (UserProblem(e) is { } problem)
                {
                    skipped.Add(new SkippedImage(image, problem));
                }
            }
        }
        foreach (var s in skipped)
            log($"skipped {s.Path}: {s.Reason}");
        OutputFolder.Create(outDirectory);
        var path = System.IO.Path.Combine(outDirectory, "predictions.json");
        RunFiles.WriteJson(path, predictions);
        if (skipped.Count > 0)
            RunFiles.WriteJson(System.IO.Path.Combine(outDirectory, "skipped.json"), skipped);
        log($"Wrote {path}{(skipped.Count > 0 ? $" ({skipped.Count} skipped image(s) listed in skipped.json)" : "")}.");
        return predictions;
    }

    private static string? UserProblem(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x is Transforms.Images.ImageReadException or DatasetException or IOException)
                return x.Message;
        return null;
    }

    public static Prediction ToPrediction(ScoredImage s, IReadOnlyList<string> classes)
    {
        var probabilities = new Dictionary<string, float>();
        for (int c = 0; c < classes.Count; c++)
            probabilities[classes[c]] = s.Probabilities[c];
        var patches = s
            .Map.Select(
                (a, i) => new PatchValue(s.Coordinates[2 * i], s.Coordinates[2 * i + 1], s.PatchSize, s.PatchSize, a)
            )
            .ToList();
        return new Prediction(s.Path, classes[s.PredictedIndex], probabilities, s.MapKind.Name(), patches);
    }

    public static IReadOnlyList<string> ListImages(string input)
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
