using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amil.MLNet.Data.Datasets;

namespace Amil.MLNet.Application.Runs;

/// <summary>A run folder's config.json as the way back into a run: the settings to resume with and the data it was
/// trained on.</summary>
public static class RunConfig
{
    /// <summary>SHA-256 over the sorted relative paths, sizes and labels of the dataset's files: changes when any file
    /// is added, removed, relabelled or rewritten with another size.</summary>
    public static string DataHash(string root, IReadOnlyList<ImageRecord> records)
    {
        var lines = records
            .Select(r => $"{Path.GetRelativePath(root, r.Path)}\t{new FileInfo(r.Path).Length}\t{r.Label}")
            .Order(StringComparer.Ordinal);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', lines))));
    }

    /// <summary>The settings saved in runDir/config.json, marked to continue from its checkpoint.</summary>
    public static TrainSettings SettingsToResume(string runDir)
    {
        var config = Path.Combine(runDir, RunFiles.ConfigFile);
        if (!File.Exists(config))
            throw new FileNotFoundException(
                $"{runDir}: no {RunFiles.ConfigFile}; --resume needs a run folder written by train.",
                config
            );
        if (!File.Exists(Path.Combine(runDir, RunFiles.CheckpointFile)))
            throw File.Exists(Path.Combine(runDir, RunFiles.ModelFile))
                ? new ArgumentException(
                    $"{runDir}: the run already finished ({RunFiles.ModelFile} is there); there is nothing to "
                        + "resume. "
                        + "Start a new run with another --out."
                )
                : new FileNotFoundException(
                    $"{runDir}: no {RunFiles.CheckpointFile} (the run stopped before its first training step); "
                        + "start it again without --resume.",
                    config
                );
        return Settings(runDir) with { OutDirectory = Path.GetFullPath(runDir), ResumeFromCheckpoint = true };
    }

    /// <summary>The settings a run was trained with (runDir/config.json), its dataset made absolute.</summary>
    public static TrainSettings Settings(string runDir)
    {
        var config = Path.Combine(runDir, RunFiles.ConfigFile);
        if (!File.Exists(config))
            throw new FileNotFoundException(
                $"{runDir}: no {RunFiles.ConfigFile}; pass a run folder train wrote.",
                config
            );
        using var json = JsonDocument.Parse(File.ReadAllText(config));
        if (!json.RootElement.TryGetProperty("settings", out var saved))
            throw new InvalidDataException(
                $"{config}: written by an older Amil.MLNet without saved settings; train the run again."
            );
        return saved.Deserialize<TrainSettings>(RunFiles.Json)
            ?? throw new InvalidDataException($"{config}: empty settings.");
    }

    public static void CheckSameData(string runDir, string dataHash)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, RunFiles.ConfigFile)));
        if (json.RootElement.TryGetProperty("data_hash", out var saved) && saved.GetString() != dataHash)
            throw new DatasetException(
                $"{runDir}: the dataset's files changed since this run started (data_hash differs); a resumed run "
                    + "would not match. Start a new run."
            );
    }

    /// <summary>The same selection with absolute paths, so a saved run can be resumed from any working
    /// folder.</summary>
    public static DatasetSelection Absolute(DatasetSelection selection) =>
        selection.DataDirectory is { } data
            ? selection with
            {
                DataDirectory = Data.Datasets.DatasetRegistry.ResolvePath(data, Directory.GetCurrentDirectory()),
            }
            : selection with
            {
                DatasetsFile = Path.GetFullPath(selection.FindDatasetsFile()),
            };
}

/// <summary>Training stopped on request after saving its checkpoint.</summary>
public sealed class TrainingInterruptedException(string runDirectory)
    : OperationCanceledException(
        "Training stopped after its step in progress; everything up to there is saved. Continue with: amil train "
            + $"--resume {runDirectory}"
    )
{
    public string RunDirectory { get; } = runDirectory;
}
