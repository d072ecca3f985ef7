using System.Text.Json.Serialization;
using Amil.MLNet.Data.Datasets;

namespace Amil.MLNet.Experiments;

/// <summary>The `predict` job: model + image file or folder → predictions.json.</summary>
public static class PredictionRun
{
    /// <summary>One patch: where it is in the image and its map value (attention weight, or Grad-CAM for the CNN baseline).</summary>
    public sealed record PatchValue(
        [property: JsonPropertyName("x")] int X, [property: JsonPropertyName("y")] int Y,
        [property: JsonPropertyName("width")] int Width, [property: JsonPropertyName("height")] int Height,
        [property: JsonPropertyName("value")] float Value);

    public sealed record Prediction(
        [property: JsonPropertyName("path")] string Path,
        [property: JsonPropertyName("predicted")] string Predicted,
        [property: JsonPropertyName("probabilities")] IReadOnlyDictionary<string, float> Probabilities,
        [property: JsonPropertyName("map")] string Map,
        [property: JsonPropertyName("patches")] IReadOnlyList<PatchValue> Patches);

    public static IReadOnlyList<Prediction> Run(string modelPath, string input, string outDirectory, Action<string> log)
    {
        var model = AmilModel.Load(modelPath);
        var images = ListImages(input);
        log($"Scoring {images.Count} image(s) with {modelPath} (classes {string.Join("/", model.ClassNames)}).");
        var predictions = model.Score(images).Select(s => ToPrediction(s, model.ClassNames)).ToList();
        Directory.CreateDirectory(outDirectory);
        var path = System.IO.Path.Combine(outDirectory, "predictions.json");
        RunFiles.WriteJson(path, predictions);
        log($"Wrote {path}.");
        return predictions;
    }

    public static Prediction ToPrediction(ScoredImage s, IReadOnlyList<string> classes)
    {
        var probabilities = new Dictionary<string, float>();
        for (int c = 0; c < classes.Count; c++) probabilities[classes[c]] = s.Probabilities[c];
        var patches = s.Map.Select((a, i) => new PatchValue(s.Coordinates[2 * i], s.Coordinates[2 * i + 1], s.PatchSize, s.PatchSize, a)).ToList();
        return new Prediction(s.Path, classes[s.PredictedIndex], probabilities, s.MapKind, patches);
    }

    public static IReadOnlyList<string> ListImages(string input)
    {
        if (File.Exists(input)) return [System.IO.Path.GetFullPath(input)];
        if (!Directory.Exists(input)) throw new DatasetException($"{input}: no such file or folder; pass an image file or a folder of images.");
        var images = Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories)
            .Where(DatasetReader.HasImageExtension)
            .Where(f => !f.Split(System.IO.Path.DirectorySeparatorChar).Contains(Data.Synthetic.SyntheticHistology.MasksFolder))
            .Order(StringComparer.Ordinal).Select(System.IO.Path.GetFullPath).ToList();
        return images.Count > 0 ? images : throw new DatasetException($"{input}: folder has no images (png, jpg, bmp, tif).");
    }
}
