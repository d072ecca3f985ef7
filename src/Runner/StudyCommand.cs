using System.CommandLine;
using Amil.MLNet.Application.Study;
using Amil.MLNet.Trainers;

namespace Amil.MLNet.Runner;

/// <summary><c>amil study</c>: every method, seed (or fold) and dataset, trained, compared and summarised.</summary>
internal sealed class StudyCommand
{
    private static readonly StudySettings Defaults = new();

    private readonly Option<string[]> _datasets = new("--dataset")
    {
        Description = $"Datasets to study (default: {string.Join(" ", Defaults.Datasets)}).",
        AllowMultipleArgumentsPerToken = true,
    };
    private readonly Option<string?> _datasetsFile = CommonOptions.DatasetsFile();
    private readonly Option<string[]> _methods = MethodOption();
    private readonly Option<int[]> _seeds = new("--seed")
    {
        Description = "Seeds (default: 1 2 3).",
        AllowMultipleArgumentsPerToken = true,
    };
    private readonly Option<int?> _folds = new("--folds")
    {
        Description =
            "Folds instead of seeds: train every method on each of K patient-grouped folds (split files written "
            + "once to OUT/DATASET/splits/ and read back, as train --folds writes them) with the first seed, "
            + "compare on each fold's test part, and summarise as mean ± sd over the folds.",
    };
    private readonly Option<int> _epochs = new("--epochs")
    {
        Description = "Epochs per training.",
        DefaultValueFactory = _ => Defaults.Epochs,
    };
    private readonly Option<string> _output = new("--out")
    {
        Description = "Study folder: one run folder per dataset, method and seed, then study.json and study.md.",
        DefaultValueFactory = _ => Defaults.OutDirectory,
    };
    private readonly Option<bool> _summarise = new("--summarise-only")
    {
        Description = "Train nothing: summarise the runs already finished (cells say n= when fewer seeds).",
    };
    private readonly Option<string> _device = CommonOptions.Device("where training and scoring run");

    public static Command Create() => new StudyCommand().Build();

    private Command Build()
    {
        var command = new Command(
            "study",
            "Train every method with every seed on every dataset, compare their maps and bag predictions on each "
                + "test split (localize), and summarise as mean ± sd over seeds in OUT/study.json and OUT/study.md. "
                + "Long (about 5 min per training on 2 cores); run it again to continue where it stopped.\n"
                + "Example: amil study --dataset synthetic-hard --seed 1 2 3 --out runs/study"
        )
        {
            _datasets,
            _datasetsFile,
            _methods,
            _seeds,
            _folds,
            _epochs,
            _output,
            _summarise,
            _device,
        };
        command.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                {
                    var settings = Settings(r);
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

    private static Option<string[]> MethodOption()
    {
        var methods = new Option<string[]>("--method")
        {
            Description =
                $"Methods to train and compare (default: all of {string.Join(" ", Heads.Names)}; cnn is "
                + "the CNN baseline read with Grad-CAM).",
            AllowMultipleArgumentsPerToken = true,
        };
        methods.AcceptOnlyFromAmong([.. Heads.Names]);
        return methods;
    }

    private StudySettings Settings(ParseResult r)
    {
        var settings = Defaults with
        {
            DatasetsFile = r.GetValue(_datasetsFile),
            Epochs = r.GetValue(_epochs),
            OutDirectory = r.GetValue(_output)!,
            TrainMissing = !r.GetValue(_summarise),
            Device = r.GetValue(_device)!,
            Folds = r.GetValue(_folds),
        };
        if (r.GetValue(_datasets) is { Length: > 0 } d)
            settings = settings with { Datasets = d };
        if (r.GetValue(_methods) is { Length: > 0 } m)
            settings = settings with { Methods = m.Select(Heads.Find).Distinct().ToList() };
        if (r.GetValue(_seeds) is { Length: > 0 } s)
            settings = settings with { Seeds = s.Distinct().ToList() };
        return settings;
    }
}
