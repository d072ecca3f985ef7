using System.Diagnostics;
using System.Globalization;
using System.Text;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Experiments.Features;
using Amil.MLNet.Trainers;
using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Trainers.Training;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Slides;
using Microsoft.ML;

namespace Amil.MLNet.Experiments.Jobs;

/// <summary>The `train` job: dataset → split → bag → Attention-MIL → evaluate → run folder
/// (model.zip, metrics.json, split.json, history.csv, config.json).</summary>
public static class TrainJob
{
    public sealed record Result(string RunDirectory, RunMetrics Metrics);

    /// <summary>Trains; <paramref name="cancel"/> stops between bags, keeping the last finished epoch's checkpoint
    /// (then <see cref="TrainingInterruptedException"/> says how to resume).</summary>
    public static Result Run(TrainSettings settings, Action<string> log, CancellationToken cancel = default)
    {
        if (settings.Resume is not null)
            settings = RunConfig.SettingsToResume(settings.Resume) with
            {
                OnBag = settings.OnBag,
                OnImageChecked = settings.OnImageChecked,
            };
        settings = settings with { Dataset = RunConfig.Absolute(settings.Dataset) };
        // Before anything is written: a device that is not there is the user's to fix.
        var device = ComputeDevice.Parse(settings.Device);
        device.Resolve();
        var (entry, root) = settings.Dataset.Resolve();
        bool slides = DatasetReader.IsSlides(entry);
        var skipped = new List<SkippedImage>();
        PatchBaggingOptions? bagging = null;
        IReadOnlyList<ImageRecord> records;
        DatasetSplit split;
        if (slides)
            (records, split) = SlideTrainJob.ReadAndSplit(settings, entry, root, log);
        else
        {
            bagging = DataPreparation.BaggingOptions(entry.Patches, settings);
            records = DatasetReader.Read(entry, root, log, settings.OnBadImage == BadImagePolicy.Skip ? skipped : null);
            // Split first, then screen: which files are bad never changes which side of the split a good file lands
            // on.
            split = DataPreparation.ScreenedSplit(
                DatasetSplit.For(records, entry),
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
        bool created = !Directory.Exists(runDir);
        try
        {
            OutputFolder.Create(runDir);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new UnauthorizedAccessException(
                $"{runDir}: cannot create the run folder ({e.Message}); pick another --out or fix its permissions.",
                e
            );
        }
        // Taken before anything is written, and before the clean-up below can run: a second job on this folder stops
        // here.
        using var folderLock = AcquireLock(runDir, created);
        if (!settings.ResumeFromCheckpoint)
        {
            if (File.Exists(Path.Combine(runDir, RunFiles.CheckpointFile)))
                throw new ArgumentException(
                    $"{runDir} already holds a training; continue it with --resume {runDir}, or pick another --out."
                );
            if (File.Exists(Path.Combine(runDir, RunFiles.ModelFile)))
                throw new ArgumentException(
                    $"{runDir} already holds a finished run ({RunFiles.ModelFile}); "
                        + "pick another --out (nothing there is overwritten)."
                );
        }
        string dataHash = RunConfig.DataHash(root, records);
        if (settings.ResumeFromCheckpoint)
            RunConfig.CheckSameData(runDir, dataHash);
        StreamWriter logFile;
        try
        {
            logFile = new StreamWriter(Path.Combine(runDir, RunFiles.LogFile), append: settings.ResumeFromCheckpoint)
            {
                AutoFlush = true,
            };
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException(
                $"{runDir}: the run folder is not writable ({e.Message}); pick another --out or fix its permissions.",
                e
            );
        }
        using var _ = logFile;
        void Log(string line)
        {
            log(line);
            logFile.WriteLine($"{DateTime.Now:yyyy-MM-dd HH:mm:ss}  {line}");
        }
        try
        {
            return bagging is null
                ? SlideTrainJob.Train(settings, entry, root, records, split, classes, runDir, dataHash, Log, cancel)
                : Train(
                    settings,
                    entry,
                    root,
                    records,
                    split,
                    classes,
                    bagging,
                    runDir,
                    skipped,
                    dataHash,
                    Log,
                    cancel
                );
        }
        catch (OperationCanceledException) when (File.Exists(Path.Combine(runDir, RunFiles.CheckpointFile)))
        {
            Log("Interrupted; the last finished epoch is saved.");
            throw new TrainingInterruptedException(runDir);
        }
        catch (TrainingDivergedException e)
        {
            string kept = File.Exists(Path.Combine(runDir, RunFiles.CheckpointFile))
                ? $" The last good epoch ({e.Epoch - 1}) stays in "
                    + $"{Path.Combine(runDir, RunFiles.CheckpointFile)}; nothing else was written."
                : "";
            if (kept.Length == 0 && created)
                RemoveUnfinished(runDir, logFile);
            else
                logFile.WriteLine($"{DateTime.Now:yyyy-MM-dd HH:mm:ss}  error: {e.Message}{kept}");
            throw new TrainingDivergedException(e.Message + kept, e.Epoch);
        }
        catch (Exception e) when (e is not RunIncompleteException && created && !HoldsFinishedWork(runDir))
        {
            // A failed run that finished nothing leaves nothing half-written behind.
            RemoveUnfinished(runDir, logFile);
            throw;
        }
    }

    /// <summary>Writes report.html for a finished run (image or slide); the model and metrics are complete, so a
    /// report that cannot be drawn is a warning, never a reason to throw them away.</summary>
    internal static void WriteReport(string runDir, Action<string> log)
    {
        try
        {
            RunReport.Write(runDir, null, log);
        }
        catch (Exception e)
            when (e is IOException or InvalidDataException or ArgumentException or Transforms.Images.ImageReadException)
        {
            log($"warning: report.html not written ({e.Message}); run `amil report --run {runDir}` to retry.");
        }
    }

    /// <summary>A failure after the model was saved: the model stays, and the message says how to score
    /// again.</summary>
    internal static RunIncompleteException AfterTheModel(string runDir, Exception e, Action<string> log)
    {
        string message =
            $"The model was trained and saved to {Path.Combine(runDir, RunFiles.ModelFile)}, "
            + "but the step after it failed: "
            + $"{Innermost(e).Message.Split('\n')[0]} The run folder keeps everything that finished; score the "
            + $"test split again with "
            + $"amil evaluate --model {Path.Combine(runDir, RunFiles.ModelFile)}.";
        log("error: " + message);
        return new RunIncompleteException(message, e);
    }

    private static RunFolderLock AcquireLock(string runDir, bool created)
    {
        try
        {
            return RunFolderLock.Acquire(runDir);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or (IOException and not RunFolderBusyException))
        {
            if (created)
                TryDelete(runDir);
            throw new UnauthorizedAccessException(
                $"{runDir}: the run folder is not writable ({e.Message}); pick another --out or fix its permissions.",
                e
            );
        }
    }

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);

    /// <summary>A model or a checkpoint of a finished epoch: work that is never deleted.</summary>
    private static bool HoldsFinishedWork(string runDir) =>
        File.Exists(Path.Combine(runDir, RunFiles.ModelFile))
        || File.Exists(Path.Combine(runDir, RunFiles.CheckpointFile));

    private static void RemoveUnfinished(string runDir, StreamWriter logFile)
    {
        logFile.Dispose();
        TryDelete(runDir);
    }

    /// <summary>Clean-up never hides the error that made it necessary.</summary>
    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static Result Train(
        TrainSettings settings,
        DatasetEntry entry,
        string root,
        IReadOnlyList<ImageRecord> records,
        DatasetSplit split,
        string[] classes,
        PatchBaggingOptions bagging,
        string runDir,
        IReadOnlyList<SkippedImage> skipped,
        string dataHash,
        Action<string> log,
        CancellationToken cancel
    )
    {
        log(
            $"Dataset '{entry.Name}' ({entry.Layout}, {root}): {records.Count} "
                + $"images{(skipped.Count > 0 ? $" ({skipped.Count} bad files skipped)" : "")}, classes "
                + $"{string.Join("/", classes)}; "
                + $"train {split.Train.Count}, validation {split.Validation.Count}, test {split.Test.Count}."
        );
        log($"Run folder: {runDir}");
        var device = ComputeDevice.Parse(settings.Device);
        AmilModel.UseDevice(device); // the test split is scored where the model trained
        log($"Device: {device.Describe()} (libtorch {TorchSharp.torch.__version__}).");
        log(Trainers.Kernels.CpuKernels.Current.Describe());
        int workers = settings.Workers ?? AttentionMilOptions.DefaultReadWorkers;
        log($"Bags per step: {settings.BatchBags}; decoding on {workers} worker{(workers == 1 ? "" : "s")}.");

        RunFiles.WriteSplit(runDir, root, entry, split);
        RunFiles.WriteJson(
            Path.Combine(runDir, RunFiles.ConfigFile),
            new
            {
                settings = settings with
                {
                    OutDirectory = runDir,
                    Resume = null,
                    ResumeFromCheckpoint = false,
                },
                data_hash = dataHash,
                images = records.Count,
                dataset = entry.Name,
                layout = entry.Layout,
                root,
                network = settings.Network.Name(),
                cnn_input_scale = settings.Network == NetworkArchitecture.CnnBaseline
                    ? settings.CnnInputScale
                    : (int?)null,
                settings.Epochs,
                settings.Seed,
                pooling = settings.Pooling.ToString(),
                settings.Patience,
                settings.BalanceClasses,
                settings.LearningRate,
                settings.PadSmallImages,
                patches = new
                {
                    resize = bagging.ResizeHeight is null ? "none" : $"{bagging.ResizeHeight}x{bagging.ResizeWidth}",
                    crop = bagging.CropHeight is null ? "none" : $"{bagging.CropHeight}x{bagging.CropWidth}",
                    size = bagging.PatchSize,
                    bagging.Stride,
                },
                device = settings.Device,
                device_used = device.Describe(),
                versions = Versions.All(),
                cpu_kernels = Trainers.Kernels.CpuKernels.Current,
            }
        );

        var ml = new MLContext(seed: settings.Seed);
        // Class order is fixed (sorted names), so key i+1 is class i in every split and in the saved model.
        var labelKeys = ml
            .Transforms.Conversion.MapValueToKey(
                "Label",
                keyData: ml.Data.LoadFromEnumerable(classes.Select(c => new LabelRow { Label = c }))
            )
            .Fit(ml.Data.LoadFromEnumerable(Array.Empty<ImageRow>()));
        IDataView Rows(IEnumerable<ImageRecord> part) =>
            labelKeys.Transform(
                ml.Data.LoadFromEnumerable(
                    part.Select(r => new ImageRow
                        {
                            ImagePath = r.Path,
                            Label = r.Label,
                            Patient = r.Patient ?? "",
                        })
                        .ToList()
                )
            );

        if (settings.ResumeFromCheckpoint)
            log($"Resuming from {Path.Combine(runDir, RunFiles.CheckpointFile)}.");
        bool featureMode = settings.OnFeatures;
        var options = TrainerOptions.From(settings, device, log, cancel);
        options.BagColumnName = featureMode ? FeatureTraining.FeaturesColumn : "Bag";
        options.CheckpointPath = Path.Combine(runDir, RunFiles.CheckpointFile);
        options.ResumeFromCheckpoint = settings.ResumeFromCheckpoint;
        var trainer = ml.MulticlassClassification.Trainers.AttentionMil(options);
        var bagger = ml.Transforms.BagPatches(bagging);

        var clock = Stopwatch.StartNew();
        var trainView = Rows(split.Train);
        var baggedTrain = bagger.Fit(trainView);
        AttentionMilTransformer attention;
        ITransformer pipeline;
        Features.FeatureCacheReport? cacheReport = null;
        if (featureMode)
        {
            var features = new FeatureTraining(ml, labelKeys, bagging, settings.FeatureCacheFolder, log);
            cacheReport = features.Fill([.. split.Train, .. split.Validation], cancel);
            attention = trainer.Fit(
                features.Rows(split.Train),
                split.Validation.Count > 0 ? features.Rows(split.Validation) : null
            );
            pipeline = baggedTrain.Append(features.Extractor(baggedTrain.Transform(trainView))).Append(attention);
        }
        else
        {
            attention = trainer.Fit(
                baggedTrain.Transform(trainView),
                split.Validation.Count > 0 ? baggedTrain.Transform(Rows(split.Validation)) : null
            );
            pipeline = baggedTrain.Append(attention);
        }
        double trainSeconds = clock.Elapsed.TotalSeconds;
        RunFiles.WriteHistory(runDir, attention.History);

        var model = new AmilModel(ml, pipeline);
        model.Save(Path.Combine(runDir, RunFiles.ModelFile));
        log(
            $"Saved {Path.Combine(runDir, RunFiles.ModelFile)} (best epoch {attention.BestEpoch} of "
                + $"{attention.History.Count}, {trainSeconds:F0}s)."
        );
        try
        {
            return Finish();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw AfterTheModel(runDir, e, log);
        }

        Result Finish()
        {
            var metrics = new RunMetrics(
                attention.ClassNames,
                split.Test.Count > 0 ? Evaluation.Evaluate(model, split.Test) : null,
                split.Validation.Count > 0 ? Evaluation.Evaluate(model, split.Validation) : null,
                attention.BestEpoch,
                attention.History.Count,
                Math.Round(trainSeconds, 1)
            )
            {
                SkippedImages = skipped.Count > 0 ? skipped : null,
                FeatureCache = cacheReport,
                CpuKernels = Trainers.Kernels.CpuKernels.Current,
            };
            RunFiles.WriteJson(Path.Combine(runDir, RunFiles.MetricsFile), metrics);
            // The run is complete: its checkpoint (weights, Adam moments) is only for resuming and can be large (the
            // CNN's ~150 MB).
            File.Delete(Path.Combine(runDir, RunFiles.CheckpointFile));
            WriteReport(runDir, log);
            return new Result(runDir, metrics);
        }
    }

    private sealed class LabelRow
    {
        public string Label { get; set; } = "";
    }
}
