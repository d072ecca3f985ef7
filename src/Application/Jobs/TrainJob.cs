using System.Diagnostics;
using System.Globalization;
using System.Text;
using Amil.MLNet.Application.Features;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Slides;
using Amil.MLNet.Trainers;
using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Trainers.Training;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Microsoft.ML;

namespace Amil.MLNet.Application.Jobs;

/// <summary>The `train` job: dataset → split → bag → Attention-MIL → evaluate → run folder
/// (model.zip, metrics.json, split.json, history.csv, config.json).</summary>
public static class TrainJob
{
    public sealed record Result(string RunDirectory, RunMetrics Metrics);

    /// <summary>Trains; <paramref name="cancel"/> stops after the step in progress, saving the checkpoint (then
    /// <see cref="TrainingInterruptedException"/> says how to resume).</summary>
    public static Result Run(TrainSettings settings, Action<string> log, CancellationToken cancel = default)
    {
        if (settings.Resume is not null)
            settings = RunConfig.SettingsToResume(settings.Resume) with
            {
                OnBag = settings.OnBag,
                OnImageChecked = settings.OnImageChecked,
            };
        settings = settings with
        {
            Dataset = RunConfig.Absolute(settings.Dataset),
            SplitFile = settings.SplitFile is { } splitFile ? Path.GetFullPath(splitFile) : null,
            StainReference = settings.StainReference is { } reference ? Path.GetFullPath(reference) : null,
        };
        // Before anything is written: a device that is not there is the user's to fix.
        var device = ComputeDevice.Parse(settings.Device);
        device.Resolve();
        StainReferences.Check(settings.Stain, settings.StainReference);
        var (entry, root) = settings.Dataset.Resolve();
        bool slides = DatasetReader.IsSlides(entry);
        var skipped = new List<SkippedImage>();
        PatchBaggingOptions? bagging = null;
        IReadOnlyList<ImageRecord> records;
        DatasetSplit split;
        if (slides)
            (records, split) = SlideTraining.ReadAndSplit(settings, entry, root, log);
        else
        {
            settings.RefuseTilingOnImages(entry.Name);
            bagging = DataPreparation.BaggingOptions(entry.Patches, settings);
            records = DatasetReader.Read(entry, root, log, settings.OnBadImage == BadImagePolicy.Skip ? skipped : null);
            // Split first, then screen: which files are bad never changes which side of the split a good file lands
            // on.
            split = DataPreparation.ScreenedSplit(
                SplitOf(settings, records, entry, root),
                bagging,
                settings.OnBadImage,
                skipped,
                log,
                settings.OnImageChecked,
                TrainingMemory.Budget(settings, bagging)
            );
        }
        if (split.Train.Count == 0)
            throw new DatasetException($"Dataset '{entry.Name}' leaves no images for training after the split.");
        var classes = records.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).ToArray();
        if (classes.Length < 2)
            throw new DatasetException(
                $"Dataset '{entry.Name}' has only one class ({classes[0]}); Attention-MIL needs at least two."
            );
        foreach (var warning in SplitCoverage.Warnings(split, classes))
            log(warning);

        string runDir = Path.GetFullPath(
            settings.OutDirectory
                ?? Path.Combine(
                    "runs",
                    $"{entry.Name}{(settings.Network == NetworkArchitecture.CnnBaseline ? "-cnn" : "")}-"
                        + DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)
                )
        );
        using var session = RunSession.Open(runDir, settings.ResumeFromCheckpoint, log);
        var metrics = session.Guard(() =>
        {
            string dataHash = RunConfig.DataHash(root, records);
            if (settings.ResumeFromCheckpoint)
                RunConfig.CheckSameData(runDir, dataHash);
            var stain = StainReferences.Resolve(
                settings.Stain,
                settings.StainReference,
                [.. split.Train.Select(r => r.Path)],
                slides: bagging is null,
                session.Log,
                bagging is null ? settings.SlideTiles.Tiling : null
            );
            var data = new TrainingSteps.Data(entry, root, records, split, classes, dataHash) { Stain = stain };
            return bagging is null
                ? SlideTraining.Train(session, settings, data, cancel)
                : ImageTraining.Train(session, settings, data, bagging, skipped, cancel);
        });
        return new Result(session.Directory, metrics);
    }

    /// <summary>The split a training uses: its split file when it has one, else the dataset's own.</summary>
    internal static DatasetSplit SplitOf(
        TrainSettings settings,
        IReadOnlyList<ImageRecord> records,
        DatasetEntry entry,
        string root
    ) =>
        settings.SplitFile is { } file
            ? SplitFile.Read(Path.GetFullPath(file), root, records)
            : DatasetSplit.For(records, entry);
}
