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
using Amil.MLNet.Transforms.Encoders;
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
        settings = Absolute(settings);
        // Before anything is written: a device that is not there is the user's to fix. Frozen encoders run beside
        // the network where ONNX Runtime can.
        var device = ComputeDevice.Parse(settings.Device);
        device.Resolve();
        int? gpu = device.CudaIndex();
        using var encoders = EncoderExecution.OnCuda(EncoderExecution.BesideNetwork(gpu));
        if (gpu is not null && !EncoderExecution.CudaBuilt)
            log(
                "Frozen encoders run on the CPU: this build's ONNX Runtime has no CUDA provider "
                    + "(build with -p:AmilOnnxRuntime=gpu for encoders on the GPU)."
            );
        StainReferences.Check(settings.Stain, settings.StainReference);
        var (entry, root) = settings.Dataset.Resolve();
        var source = Read(settings, entry, root, log);
        var (records, split) = (source.Records, source.Split);
        if (split.Train.Count == 0)
            throw new DatasetException($"Dataset '{entry.Name}' leaves no images for training after the split.");
        var classes = records.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).ToArray();
        if (classes.Length < 2)
            throw new DatasetException(
                $"Dataset '{entry.Name}' has only one class ({classes[0]}); Attention-MIL needs at least two."
            );
        foreach (var warning in SplitCoverage.Warnings(split, classes))
            log(warning);

        using var session = RunSession.Open(RunDirectory(settings, entry), settings.ResumeFromCheckpoint, log);
        var metrics = session.Guard(() =>
        {
            string dataHash = RunConfig.DataHash(root, records);
            if (settings.ResumeFromCheckpoint)
                RunConfig.CheckSameData(session.Directory, dataHash);
            bool slides = source.Bagging is null;
            var stain = StainReferences.Resolve(
                settings.Stain,
                settings.StainReference,
                [.. split.Train.Select(r => r.Path)],
                slides,
                session.Log,
                slides ? settings.SlideTiles.Tiling : null
            );
            var data = new TrainingSteps.Data(entry, root, records, split, classes, dataHash) { Stain = stain };
            return source.Bagging is { } bagging
                ? ImageTraining.Train(session, settings, data, bagging, source.Skipped, cancel)
                : SlideTraining.Train(session, settings, data, cancel);
        });
        return new Result(session.Directory, metrics);
    }

    /// <summary>The settings to train with: a resumed run's own, and every path absolute, so the run can be resumed
    /// from any working folder.</summary>
    private static TrainSettings Absolute(TrainSettings settings)
    {
        if (settings.Resume is not null)
            settings = RunConfig.SettingsToResume(settings.Resume) with
            {
                OnBag = settings.OnBag,
                OnImageChecked = settings.OnImageChecked,
            };
        return settings with
        {
            Dataset = RunConfig.Absolute(settings.Dataset),
            SplitFile = settings.SplitFile is { } splitFile ? Path.GetFullPath(splitFile) : null,
            StainReference = settings.StainReference is { } reference ? Path.GetFullPath(reference) : null,
        };
    }

    /// <summary>What a training reads: the dataset's items and their split; for images also how they are bagged
    /// (null for slides) and the bad files skipped.</summary>
    private sealed record Source(
        IReadOnlyList<ImageRecord> Records,
        DatasetSplit Split,
        PatchBaggingOptions? Bagging,
        IReadOnlyList<SkippedImage> Skipped
    );

    private static Source Read(TrainSettings settings, DatasetEntry entry, string root, Action<string> log)
    {
        if (DatasetReader.IsSlides(entry))
        {
            var (slides, slideSplit) = SlideTraining.ReadAndSplit(settings, entry, root, log);
            return new(slides, slideSplit, null, []);
        }
        settings.RefuseTilingOnImages(entry.Name);
        var bagging = DataPreparation.BaggingOptions(entry.Patches, settings);
        var skipped = new List<SkippedImage>();
        var records = DatasetReader.Read(entry, root, log, settings.OnBadImage == BadImagePolicy.Skip ? skipped : null);
        // Split first, then screen: which files are bad never changes which side of the split a good file lands on.
        var split = DataPreparation.ScreenedSplit(
            SplitOf(settings, records, entry, root),
            bagging,
            settings.OnBadImage,
            skipped,
            log,
            settings.OnImageChecked,
            TrainingMemory.Budget(settings, bagging)
        );
        return new(records, split, bagging, skipped);
    }

    /// <summary>The run folder: --out, else runs/&lt;dataset&gt;[-cnn]-&lt;timestamp&gt;.</summary>
    private static string RunDirectory(TrainSettings settings, DatasetEntry entry) =>
        Path.GetFullPath(
            settings.OutDirectory
                ?? Path.Combine(
                    "runs",
                    $"{entry.Name}{(settings.Network == NetworkArchitecture.CnnBaseline ? "-cnn" : "")}-"
                        + DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)
                )
        );

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
