using System.Text.Json;
using System.Text.Json.Serialization;
using Amil.MLNet.Transforms;

namespace Amil.MLNet.Experiments;

/// <summary>JSON written into run folders: snake_case, indented, atomic.</summary>
public static class RunFiles
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() }, // kinds read as words in config.json (numbers still load)
    };

    public static void WriteJson<T>(string path, T value) =>
        AtomicFile.WriteText(path, JsonSerializer.Serialize(value, Json) + "\n");
}

/// <summary>metrics.json.</summary>
public sealed record RunMetrics(
    [property: JsonPropertyName("classes")] IReadOnlyList<string> Classes,
    [property: JsonPropertyName("test")] ClassificationMetrics? Test,
    [property: JsonPropertyName("validation")] ClassificationMetrics? Validation,
    [property: JsonPropertyName("best_epoch")] int? BestEpoch,
    [property: JsonPropertyName("epochs_run")] int? EpochsRun,
    [property: JsonPropertyName("train_seconds")] double? TrainSeconds
)
{
    /// <summary>Files left out under --on-bad-image skip (null when none were), with the reason for each.</summary>
    [JsonPropertyName("skipped_images")]
    public IReadOnlyList<Data.Datasets.SkippedImage>? SkippedImages { get; init; }

    /// <summary>Encoder resnet18: how the feature cache served this run.</summary>
    [JsonPropertyName("feature_cache")]
    public Features.FeatureCacheReport? FeatureCache { get; init; }

    /// <summary>How well the model's map finds tumour on the evaluated images with masks (evaluate
    /// --localization).</summary>
    [JsonPropertyName("localization")]
    public LocalizationBlock? Localization { get; init; }
}
