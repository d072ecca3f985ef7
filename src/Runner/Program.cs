using System.CommandLine;
using Amil.MLNet.Runner;

var root = new RootCommand("Amil.MLNet: attention-based multiple instance learning for histopathology images (ML.NET + TorchSharp).");
root.Options.Add(CommonOptions.Verbose);
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(HeatmapCommand.Create());
root.Subcommands.Add(LocalizeCommand.Create());
root.Subcommands.Add(ReportCommand.Create());
root.Subcommands.Add(FeaturesCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(SynthCommand.Create());
root.Subcommands.Add(DatasetsCommand.Create());
return root.Parse(args).Invoke();
