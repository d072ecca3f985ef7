using System.Text.Json.Serialization;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Localization.Heatmaps;
using Amil.MLNet.Localization.Metrics;

namespace Amil.MLNet.Experiments.Jobs;

/// <summary>The `localize` job: a MIL model's map (attention, additive contribution or CLAM class attention) and the
/// CNN baseline's Grad-CAM scored against tumour masks → DIR/localization.json.</summary>
public static class LocalizeJob
{
    /// <summary>localization.json.</summary>
    public sealed record Report(
        [property: JsonPropertyName("attention")] LocalizationScores? Attention,
        [property: JsonPropertyName("gradcam")] LocalizationScores? GradCam,
        [property: JsonPropertyName("contribution")] LocalizationScores? Contribution,
        [property: JsonPropertyName("class_attention")] LocalizationScores? ClassAttention,
        [property: JsonPropertyName("images")] int Images,
        [property: JsonPropertyName("dataset")] string Dataset,
        [property: JsonPropertyName("split")] string Split,
        [property: JsonPropertyName("normalization")] string Normalization,
        [property: JsonPropertyName("positive_patch_share")] double PositivePatchShare,
        [property: JsonPropertyName("weighted_by_probability_of")] IReadOnlyList<string>? WeightedBy,
        [property: JsonPropertyName("map_of_classes")] IReadOnlyList<string>? MapOf,
        [property: JsonPropertyName("per_class")]
            IReadOnlyDictionary<string, IReadOnlyDictionary<string, LocalizationScores>>? PerClass
    );

    public static Report Run(
        string? modelPath,
        string? gradCamModelPath,
        DatasetSelection selection,
        string outDirectory,
        MapNormalization normalization,
        bool allImages,
        Action<string> log,
        IReadOnlyList<string>? tumourClasses = null,
        IReadOnlyList<string>? mapClasses = null
    )
    {
        if (modelPath is null && gradCamModelPath is null)
            throw new ArgumentException("Pass --model (Attention-MIL) and/or --gradcam-model (the CNN baseline).");
        var models = new[] { modelPath, gradCamModelPath }
            .Where(p => p is not null)
            .Select(p => (Path: p!, Model: AmilModel.Load(p!)))
            .ToList();
        if (models.Count == 2 && models[0].Model.MapKind == models[1].Model.MapKind)
            throw new ArgumentException(
                $"--model and --gradcam-model are both {models[0].Model.MapKind.Name()} models; pass an Attention-MIL "
                    + $"model and a CNN baseline (train --baseline cnn)."
            );

        var (entry, root) = selection.Resolve();
        var records = DatasetReader.Read(entry, root, log);
        var images = Localizing.WithMasks(allImages ? records : DatasetSplit.For(records, entry).Test, entry.Name);
        var blocks = new Dictionary<MapKind, LocalizationBlock>();
        foreach (var (path, model) in models)
        {
            log(
                $"Localizing with {path} ({model.MapKind.Name()}) on {images.Count} {(allImages ? "" : "test ")}images "
                    + $"with masks…"
            );
            blocks[model.MapKind] = LocalizationBlock.From(
                Localizing.Evaluate(
                    model,
                    images,
                    normalization,
                    tumourClasses,
                    model.MapKind == MapKind.GradCam ? null : mapClasses
                )
            );
        }
        var perClass = blocks
            .Where(b => b.Value.PerClass is not null)
            .ToDictionary(b => b.Key.Name(), b => b.Value.PerClass!);
        var report = new Report(
            blocks.GetValueOrDefault(MapKind.Attention)?.Scores,
            blocks.GetValueOrDefault(MapKind.GradCam)?.Scores,
            blocks.GetValueOrDefault(MapKind.Contribution)?.Scores,
            blocks.GetValueOrDefault(MapKind.ClassAttention)?.Scores,
            images.Count,
            entry.Name,
            allImages ? "all" : "test",
            normalization.ToString().ToLowerInvariant(),
            LocalizationEvaluator.PositivePatchShare,
            tumourClasses,
            mapClasses,
            perClass.Count > 0 ? perClass : null
        );
        Directory.CreateDirectory(outDirectory);
        RunFiles.WriteJson(Path.Combine(outDirectory, "localization.json"), report);
        return report;
    }
}
