using System.CommandLine;

namespace Amil.MLNet.Runner;

/// <summary>The `amil` command line: every verb, parsed and run. <c>Program</c> calls it; tests call it
/// in-process.</summary>
public static class Cli
{
    /// <returns>The exit code: 0 ok, 1 a problem the user can fix, 2 an internal error, 130 stopped with
    /// Ctrl-C.</returns>
    public static int Run(string[] args)
    {
        var root = new RootCommand(
            "Amil.MLNet: attention-based multiple instance learning for histopathology images (ML.NET + TorchSharp)."
        );
        root.Options.Add(CommonOptions.Verbose);
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(HeatmapCommand.Create());
        root.Subcommands.Add(LocalizeCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(ViewCommand.Create());
        root.Subcommands.Add(FeaturesCommand.Create());
        root.Subcommands.Add(EncodersCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(StudyCommand.Create());
        root.Subcommands.Add(SlideCommand.Create());
        root.Subcommands.Add(SynthCommand.Create());
        root.Subcommands.Add(DatasetsCommand.Create());
        return root.Parse(args).Invoke();
    }
}
