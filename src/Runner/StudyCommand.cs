using System.CommandLine;
using Amil.MLNet.Application.Study;
using Amil.MLNet.Trainers;

namespace Amil.MLNet.Runner;

internal static class StudyCommand
{
    public static Command Create()
    {
        var defaults = new StudySettings();
        var datasets = new Option<string[]>("--dataset")
        {
            Description = $"Datasets to study (default: {string.Join(" ", defaults.Datasets)}).",
            AllowMultipleArgumentsPerToken = true,
        };
        var datasetsFile = CommonOptions.DatasetsFile();
        var methods = new Option<string[]>("--method")
        {
            Description =
                $"Methods to train and compare (default: all of {string.Join(" ", Heads.Names)}; cnn is "
                + "the CNN baseline read with Grad-CAM).",
            AllowMultipleArgumentsPerToken = true,
        };
        methods.AcceptOnlyFromAmong([.. Heads.Names]);
        var seeds = new Option<int[]>("--seed")
        {
            Description = "Seeds (default: 1 2 3).",
            AllowMultipleArgumentsPerToken = true,
        };
        var folds = new Option<int?>("--folds")
        {
            Description =
                "Folds instead of seeds: train every method on each of K patient-grouped folds (split files written "
                + "once to OUT/DATASET/splits/ and read back, as train --folds writes them) with the first seed, "
                + "compare on each fold's test part, and summarise as mean ± sd over the folds.",
        };
        var epochs = new Option<int>("--epochs")
        {
            Description = "Epochs per training.",
            DefaultValueFactory = _ => defaults.Epochs,
        };
        var output = new Option<string>("--out")
        {
            Description = "Study folder: one run folder per dataset, method and seed, then study.json and study.md.",
            DefaultValueFactory = _ => defaults.OutDirectory,
        };
        var summarise = new Option<bool>("--summarise-only")
        {
            Description = "Train nothing: summarise the runs already finished (cells say n= when fewer seeds).",
        };
        var device = CommonOptions.Device("where training and scoring run");
        var command = new Command(
            "study",
            "Train every method with every seed on every dataset, compare their maps and bag predictions on each "
                + "test split (localize), and summarise as mean ± sd over seeds in OUT/study.json and OUT/study.md. "
                + "Long (about 5 min per training on 2 cores); run it again to continue where it stopped.\n"
                + "Example: amil study --dataset synthetic-hard --seed 1 2 3 --out runs/study"
        )
        {
            datasets,
            datasetsFile,
            methods,
            seeds,
            folds,
            epochs,
            output,
            summarise,
            device,
        };
        command.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                {
                    var settings = defaults with
                    {
                        DatasetsFile = r.GetValue(datasetsFile),
                        Epochs = r.GetValue(epochs),
                        OutDirectory = r.GetValue(output)!,
                        TrainMissing = !r.GetValue(summarise),
                        Device = r.GetValue(device)!,
                        Folds = r.GetValue(folds),
                    };
                    if (r.GetValue(datasets) is { Length: > 0 } d)
                        settings = settings with { Datasets = d };
                    if (r.GetValue(methods) is { Length: > 0 } m)
                        settings = settings with { Methods = m.Select(Heads.Find).Distinct().ToList() };
                    if (r.GetValue(seeds) is { Length: > 0 } s)
                        settings = settings with { Seeds = s.Distinct().ToList() };
                    var summary = StudyJob.Run(settings, CommandRunner.Log, CommandRunner.Interrupt);
                    Console.Write(summary.Markdown());
                    Console.WriteLine(
                        $"Wrote {Path.Combine(settings.OutDirectory, StudyJob.JsonFile)} and {StudyJob.MarkdownFile}"
                    );
                }
            )
        );
        return command;
    }
}
