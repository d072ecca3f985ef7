using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Trainers;

namespace Amil.MLNet.Application.Jobs;

/// <summary>The steps every training takes, on images or on slides, so the two cannot drift apart: what the log says
/// first, split.json and config.json; after the model, the test and validation splits scored on the training device,
/// metrics.json, the finished run's checkpoint removed, report.html. What differs — how items become bags, the
/// metrics that fit them — is the caller's.</summary>
internal static class TrainingSteps
{
    /// <summary>What a training reads: the dataset, its items, their split and classes, and the data's hash.</summary>
    public sealed record Data(
        DatasetEntry Entry,
        string Root,
        IReadOnlyList<ImageRecord> Records,
        DatasetSplit Split,
        string[] Classes,
        string Hash
    )
    {
        /// <summary>The stain reference the images or slides are normalised to, and where it came from.</summary>
        public (Transforms.Stain.StainProfile Profile, string Source)? Stain { get; init; }
    }

    /// <summary>Logs the run's data, folder, device and kernels; writes split.json and config.json.</summary>
    /// <param name="items">What the dataset holds, e.g. "120 images (3 bad files skipped)" or "40 slides".</param>
    /// <param name="details">config.json's entries for this kind of input.</param>
    /// <returns>The device the run trains and scores on.</returns>
    public static ComputeDevice Begin(
        RunSession session,
        TrainSettings settings,
        Data data,
        string items,
        IEnumerable<(string Key, object? Value)> details
    )
    {
        var (entry, root, _, split, classes, dataHash) = data;
        var log = session.Log;
        log(
            $"Dataset '{entry.Name}' ({entry.Layout}, {root}): {items}, classes {string.Join("/", classes)}; "
                + $"train {split.Train.Count}, validation {split.Validation.Count}, test {split.Test.Count}."
        );
        log($"Run folder: {session.Directory}");
        var device = ComputeDevice.Parse(settings.Device);
        log($"Device: {device.Describe()} (libtorch {TorchSharp.torch.__version__}).");
        log(Trainers.Kernels.CpuKernels.Current.Describe());
        RunFiles.WriteSplit(session.Directory, root, entry, split);
        RunFiles.WriteConfig(
            session.Directory,
            settings,
            dataHash,
            entry.Name,
            device,
            [
                ("layout", entry.Layout),
                ("root", root),
                ("network", settings.Network.Name()),
                ("epochs", settings.Epochs),
                ("seed", settings.Seed),
                ("pooling", settings.Pooling.Name),
                ("patience", settings.Patience),
                ("balance_classes", settings.BalanceClasses),
                ("learning_rate", settings.LearningRate),
                ("device", settings.Device),
                ("stain", StainReferences.Record(data.Stain)),
                .. details,
            ]
        );
        return device;
    }

    /// <summary>What a trained head says of its training.</summary>
    public sealed record Trained(
        IReadOnlyList<string> ClassNames,
        int BestEpoch,
        int Epochs,
        double Seconds,
        float Temperature
    )
    {
        public Trained(Trainers.AttentionMilTransformer head, double seconds)
            : this(head.ClassNames, head.BestEpoch, head.History.Count, seconds, head.Model.Temperature) { }
    }

    /// <summary>Scores the test and validation splits with the saved <paramref name="model"/> on its device, measures
    /// the test split's maps against its masks (<see cref="TestLocalization"/>), writes metrics.json (with the caller's
    /// additions), localization.json for slides and test_scores.json, removes the checkpoint and writes report.html.
    /// A failure after the model keeps it and says how to score again.</summary>
    /// <param name="mapped">The test items whose maps are measured, and their scores, from the test split's (patient
    /// bags: each patient's slides); null: the test split's own.</param>
    public static RunMetrics Finish(
        RunSession session,
        AmilModel model,
        DatasetSplit split,
        Trained trained,
        Func<RunMetrics, RunMetrics> additions,
        Func<
            IReadOnlyList<ImageRecord>,
            IReadOnlyList<ScoredImage>,
            (List<ImageRecord> Items, List<ScoredImage> Scored)
        >? mapped = null
    )
    {
        session.Log(RunSession.ScoredOn(model.Device));
        return session.AfterTheModel(() =>
        {
            var test = split.Test.Count > 0 ? Evaluation.Score(model, split.Test) : null;
            var metrics = additions(Measured(model, split, trained, test));
            RunFiles.WriteJson(Path.Combine(session.Directory, RunFiles.MetricsFile), metrics);
            // The run is complete: its checkpoint (weights, Adam moments) is only for resuming and can be large (the
            // CNN's ~150 MB).
            File.Delete(Path.Combine(session.Directory, RunFiles.CheckpointFile));
            if (test is not null)
            {
                TestScores.Write(session.Directory, split.Test, test, trained.ClassNames);
                // After the metrics: a mask that cannot be read stops the maps' figures, not the run's.
                var (items, maps) = mapped?.Invoke(split.Test, test) ?? ([.. split.Test], [.. test]);
                var localization = TestLocalization.Measure(
                    model,
                    items,
                    maps,
                    session.Directory,
                    Path.GetFileName(session.Directory),
                    metrics.Test,
                    session.Log
                );
                localization.WriteInto(session.Directory);
                if (localization.Images is not null)
                {
                    metrics = metrics with { Localization = localization.Images };
                    RunFiles.WriteJson(Path.Combine(session.Directory, RunFiles.MetricsFile), metrics);
                }
            }
            session.WriteReport(model.Device);
            return metrics;
        });
    }

    /// <summary>The test and validation metrics, the training's figures and, when the model was calibrated, the
    /// calibration before and after on the test split.</summary>
    private static RunMetrics Measured(
        AmilModel model,
        DatasetSplit split,
        Trained trained,
        IReadOnlyList<ScoredImage>? test
    )
    {
        var testMetrics = test is null ? null : Evaluation.Evaluate(model, split.Test, test);
        return new RunMetrics(
            trained.ClassNames,
            testMetrics,
            split.Validation.Count > 0 ? Evaluation.Evaluate(model, split.Validation) : null,
            trained.BestEpoch,
            trained.Epochs,
            Math.Round(trained.Seconds, 1)
        )
        {
            CpuKernels = Trainers.Kernels.CpuKernels.Current,
            ScoredOn = model.Device.ToString(),
            Calibration =
                test is null || testMetrics is null || trained.Temperature == 1
                    ? null
                    : CalibrationBlock.Of(
                        testMetrics,
                        test,
                        split.Test,
                        trained.ClassNames,
                        trained.Temperature,
                        $"validation ({split.Validation.Count} {model.Input.Noun()}s)",
                        $"test ({split.Test.Count} {model.Input.Noun()}s)"
                    ),
        };
    }
}
