using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Features;

namespace Amil.MLNet.Application.Runs;

/// <summary>The files of a run folder, their names, and how they are written: JSON in snake_case, indented, and every
/// file atomically (written beside, then renamed over).</summary>
public static class RunFiles
{
    public const string ConfigFile = "config.json",
        SplitFile = "split.json",
        HistoryFile = "history.csv",
        MetricsFile = "metrics.json",
        ModelFile = "model.zip",
        CheckpointFile = "checkpoint.bin",
        LogFile = "log.txt",
        ReportFile = "report.html",
        LocalizationFile = "localization.json",
        LocalizationMarkdownFile = "localization.md";

    /// <summary>split.json: which image is on which side, relative to the dataset root.</summary>
    public static void WriteSplit(string runDirectory, string root, DatasetEntry entry, DatasetSplit split)
    {
        object Part(IReadOnlyList<ImageRecord> part) =>
            part.Select(r => new
                {
                    path = Path.GetRelativePath(root, r.Path),
                    label = r.Label,
                    patient = r.Patient,
                })
                .ToList();
        WriteJson(
            Path.Combine(runDirectory, SplitFile),
            new
            {
                dataset = entry.Name,
                root,
                entry.Split.Seed,
                entry.Split.TestFraction,
                entry.Split.ValidationFraction,
                grouped_by = split.Train.Any(r => r.Patient is not null) ? "patient" : "image",
                train = Part(split.Train),
                validation = Part(split.Validation),
                test = Part(split.Test),
            }
        );
    }

    /// <summary>history.csv: one line per epoch.</summary>
    public static void WriteHistory(string runDirectory, IEnumerable<EpochReport> epochs)
    {
        var history = new StringBuilder(
            "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,seconds\n"
        );
        foreach (var r in epochs)
            history.Append(
                CultureInfo.InvariantCulture,
                $"{r.Epoch},{r.TrainLoss:G6},{r.TrainAccuracy:G6},"
                    + $"{r.ValidationLoss:G6},{r.ValidationAccuracy:G6},{r.Seconds:F2}\n"
            );
        AtomicFile.WriteText(Path.Combine(runDirectory, HistoryFile), history.ToString());
    }

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // kinds read as words in config.json (numbers still load); heads by name
        Converters = { new JsonStringEnumConverter(), new HeadJsonConverter() },
    };

    /// <summary>split.json's dataset root and its test part: each item's absolute path, true class and patient (null
    /// where unknown).</summary>
    public static (string Root, IReadOnlyList<(string Path, string Label, string? Patient)> Test) ReadTestSplit(
        string runDirectory
    )
    {
        var path = Path.Combine(runDirectory, SplitFile);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"{path}: no {SplitFile}; pass a run folder written by train (runs/<name>).",
                path
            );
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var root = json.RootElement.GetProperty("root").GetString()!;
        var test = json
            .RootElement.GetProperty("test")
            .EnumerateArray()
            .Select(e =>
                (
                    Path.GetFullPath(Path.Combine(root, e.GetProperty("path").GetString()!)),
                    e.GetProperty("label").GetString()!,
                    e.TryGetProperty("patient", out var patient) ? patient.GetString() : null
                )
            )
            .ToList();
        return (root, test);
    }

    /// <summary>config.json: the settings to resume with, the data's hash, the dataset, what is particular to the
    /// run (<paramref name="details"/>, in order), then the device, versions and CPU kernels every run
    /// records.</summary>
    internal static void WriteConfig(
        string runDirectory,
        TrainSettings settings,
        string dataHash,
        string dataset,
        Trainers.ComputeDevice device,
        IEnumerable<(string Key, object? Value)> details
    )
    {
        var config = new Dictionary<string, object?>
        {
            ["settings"] = settings with { OutDirectory = runDirectory, Resume = null, ResumeFromCheckpoint = false },
            ["data_hash"] = dataHash,
            ["dataset"] = dataset,
        };
        foreach (var (key, value) in details)
            config[key] = value;
        config["device_used"] = device.Describe();
        config["versions"] = Versions.All();
        config["cpu_kernels"] = Trainers.Kernels.CpuKernels.Current;
        WriteJson(Path.Combine(runDirectory, ConfigFile), config);
    }

    /// <summary>A localization report in <paramref name="folder"/> (made when missing): localization.json and its
    /// table, localization.md.</summary>
    public static void WriteLocalization<T>(string folder, T report, string markdown)
    {
        OutputFolder.Create(folder);
        WriteJson(Path.Combine(folder, LocalizationFile), report);
        Transforms.AtomicFile.WriteText(Path.Combine(folder, LocalizationMarkdownFile), markdown);
    }

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
    /// <summary>The CPU kernels the numbers were computed with, and the self-check's result.</summary>
    [JsonPropertyName("cpu_kernels")]
    public Trainers.Kernels.CpuKernelCheck? CpuKernels { get; init; }

    /// <summary>What the metrics count: images, or slides for slide-level models.</summary>
    [JsonPropertyName("unit")]
    public string Unit { get; init; } = "images";

    /// <summary>The device the test split was scored on (the model's own); absent from files that did not
    /// say.</summary>
    [JsonPropertyName("scored_on")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ScoredOn { get; init; }

    /// <summary>External validation: the dataset classes evaluated as model classes of another name (dataset class
    /// → model class); absent when the names agreed.</summary>
    [JsonPropertyName("class_map")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? ClassMap { get; init; }

    /// <summary>Files left out under --on-bad-image skip (null when none were), with the reason for each.</summary>
    [JsonPropertyName("skipped_images")]
    public IReadOnlyList<Data.Datasets.SkippedImage>? SkippedImages { get; init; }

    /// <summary>Encoder resnet18: how the feature cache served this run.</summary>
    [JsonPropertyName("feature_cache")]
    public Features.FeatureCacheReport? FeatureCache { get; init; }

    /// <summary>How well the model's map finds tumour on the test images with masks (every image training, and
    /// evaluate --localization); slides keep theirs in localization.json.</summary>
    [JsonPropertyName("localization")]
    public LocalizationBlock? Localization { get; init; }

    /// <summary>Temperature scaling: T and the test split's calibration before and after it; absent when the model
    /// was not calibrated (no validation split) or nothing was tested.</summary>
    [JsonPropertyName("calibration")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CalibrationBlock? Calibration { get; init; }
}
