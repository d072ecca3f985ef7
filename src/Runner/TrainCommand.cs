using System.CommandLine;
using System.Globalization;
using Amil.MLNet.Application;
using Amil.MLNet.Trainers;

namespace Amil.MLNet.Runner;

internal static class TrainCommand
{
    public static Command Create()
    {
        var command = new Command(
            "train",
            "Train an Attention-MIL model; writes runs/<name>/model.zip, metrics.json, split.json, history.csv, "
                + "config.json, test_scores.json, report.html.\n"
                + "Ctrl-C or SIGTERM (scancel, a preemption, docker stop) finishes the step in progress, saves "
                + "and exits 130/143; --resume continues it.\n"
                + "Example: amil train --dataset synthetic --epochs 20\n         amil train --baseline cnn   (the "
                + "Grad-CAM baseline for localize)\n"
                + "         amil train --resume runs/synthetic-20261125-101500\n"
                + "         amil train --dataset synthetic-hard --folds 5 --out runs/hard-cv5   (cross-validation)"
        );
        var run = new RunOptions(command);
        var bag = new BagOptions(command);
        var head = new HeadOptions(command);
        var datasetOptions = new DatasetOptionGroup(command);
        var tiles = CommonOptions.SlideTiles().AddTo(command);
        var slideTraining = new SlideTrainingOptions(command);
        command.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                {
                    var settings = new TrainSettings { Dataset = datasetOptions.Read(r) };
                    settings = slideTraining.Apply(
                        r,
                        tiles.Apply(r, head.Apply(r, bag.Apply(r, run.Apply(r, settings))))
                    );
                    if (run.CrossValidation(r) is { } plan)
                        CrossValidate(Checked(settings), plan);
                    else
                        Train(run.Resumed(r) ?? Checked(settings));
                }
            )
        );
        return command;
    }

    private static TrainSettings Checked(TrainSettings settings)
    {
        if (settings.CnnInputScale < 1)
            throw new ArgumentException($"--cnn-input-scale must be at least 1 (got {settings.CnnInputScale}).");
        if (settings.Epochs < 1)
            throw new ArgumentException($"--epochs must be at least 1 (got {settings.Epochs}).");
        return settings;
    }

    private static void CrossValidate(TrainSettings settings, Application.Study.CrossValidationJob.Plan plan)
    {
        var summary = Application.Study.CrossValidationJob.Run(
            settings,
            plan,
            CommandRunner.Log,
            CommandRunner.Interrupt
        );
        Console.WriteLine(summary.Markdown());
    }

    private static void Train(TrainSettings settings)
    {
        var interrupt = CommandRunner.Interrupt;
        var result = LiveProgress.Training(
            settings.Epochs,
            (log, onBag, onChecked) =>
                TrainJob.Run(settings with { OnBag = onBag, OnImageChecked = onChecked }, log, interrupt)
        );
        MetricsPrinter.Print(result.Metrics);
        if (result.Metrics.SkippedImages is { Count: > 0 } skippedFiles)
            Console.WriteLine(
                $"Skipped {skippedFiles.Count} bad file(s); listed under skipped_images in metrics.json."
            );
        Console.WriteLine($"Run folder: {result.RunDirectory}");
    }

    /// <summary>--baseline and --encoder → the one model kind.</summary>
    internal static Trainers.Networks.NetworkArchitecture Network(string baseline, string encoder) =>
        (baseline, encoder) switch
        {
            ("cnn", "lenet") => Trainers.Networks.NetworkArchitecture.CnnBaseline,
            ("cnn", _) => throw new ArgumentException(
                "--baseline cnn trains a whole-image CNN; it takes no --encoder."
            ),
            (_, "lenet") => Trainers.Networks.NetworkArchitecture.AttentionMil,
            _ => Trainers.Networks.NetworkArchitecture.FeatureAttentionMil,
        };

    /// <summary>--clam-k: a count of at least 1, or auto (k from each bag's size).</summary>
    internal static int ClamK(string text) =>
        text.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase) ? AttentionMilOptions.AutoInstanceSamples
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k >= 1 ? k
        : throw new ArgumentException($"--clam-k '{text}' is not auto or a whole number of at least 1.");
}

/// <summary>The metrics lines train and evaluate print: each metric with its 95 % interval.</summary>
internal static class MetricsPrinter
{
    public static void Print(RunMetrics m)
    {
        foreach (var (name, block) in new[] { ("validation", m.Validation), ("test", m.Test) })
        {
            if (block is null)
                continue;
            var line =
                string.Create(CultureInfo.InvariantCulture, $"{name, -10} {m.Unit} {block.Images, 4}")
                + $"  accuracy {block.WithInterval("accuracy", block.Accuracy)}"
                + $"  macro-F1 {block.WithInterval("macro_f1", block.MacroF1)}"
                + $"  log-loss {block.WithInterval("log_loss", block.LogLoss)}";
            if (block.Auc is not null)
                line += $"  AUC {block.WithInterval("auc", block.Auc)}";
            if (block.PatientAccuracy is not null)
                line +=
                    $"  patient accuracy {block.WithInterval("patient_accuracy", block.PatientAccuracy)}"
                    + $" ({block.Patients} patients)";
            if (block.Ece is not null)
                line +=
                    $"  ECE {block.WithInterval("ece", block.Ece)}  Brier {block.WithInterval("brier", block.Brier)}";
            Console.WriteLine(line);
            if (block.Staging is { } staging)
                Console.WriteLine($"{name, -10} {staging.Describe()}");
        }
    }
}
