using System.CommandLine;
using Amil.MLNet.Application;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Features;

namespace Amil.MLNet.Runner;

internal static class EvaluateCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var output = CommonOptions.Out("Folder for metrics.json.");
        var split = new Option<string>("--split")
        {
            Description = "test (the dataset's test split) or all.",
            DefaultValueFactory = _ => "test",
        };
        split.AcceptOnlyFromAmong("test", "all");
        var onBadImage = CommonOptions.OnBadImage();
        var localization = new Option<bool>("--localization")
        {
            Description =
                "Also score the model's map against tumour masks (needs masks/); adds \"localization\" to "
                + "metrics.json.",
        };
        var normalize = CommonOptions.Normalize("none", "before the localization metrics");
        var splitFile = new Option<string?>("--split-file")
        {
            Description =
                "Evaluate the test part of this split file (path,label,patient,part, as train --split-file takes and "
                + "train --folds writes in OUT/splits/) instead of the dataset's test split, e.g. a fold's model on "
                + "its own fold.",
        };
        var classMap = new Option<string?>("--class-map")
        {
            Description =
                "External validation on a dataset that names the classes differently: DATASET_CLASS=MODEL_CLASS pairs, "
                + "comma-separated (e.g. tumor=malignant,normal=benign). Names that differ only in case, spaces, "
                + "dashes or underscores are matched without it; metrics.json records the mapping.",
        };
        var command = new Command(
            "evaluate",
            "Evaluate a model on a dataset; writes DIR/metrics.json.\nExample: amil evaluate --model "
                + "runs/x/model.zip --dataset synthetic --out runs/x/eval"
        )
        {
            model,
            output,
            split,
            onBadImage,
            localization,
            normalize,
            splitFile,
            classMap,
        };
        var datasetOptions = new DatasetOptionGroup(command, model);
        var scoring = new ScoringOptionGroup(command);
        var shards = new ShardOptionGroup(command, ShardOptionGroup.Scoring("metrics.json"));
        command.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                {
                    var options = new EvaluateJob.Options
                    {
                        AllItems = r.GetValue(split) == "all",
                        OnBadImage = CommonOptions.Policy(r, onBadImage),
                        Localization = r.GetValue(localization),
                        Normalization = CommonOptions.Normalization(r, normalize),
                        Scoring = scoring.Read(r) with { Shard = shards.Read(r) },
                        SplitFile = r.GetValue(splitFile),
                        ClassMap = r.GetValue(classMap) is { } map ? ClassMapping.Parse(map) : null,
                    };
                    var metrics = EvaluateJob.Run(
                        r.GetValue(model)!,
                        datasetOptions.Read(r),
                        r.GetValue(output)!,
                        CommandRunner.Log,
                        options,
                        CommandRunner.Interrupt
                    );
                    if (metrics is null)
                        return; // another shard writes metrics.json
                    MetricsPrinter.Print(metrics);
                    if (metrics.Localization is { } block)
                        LocalizeCommand.Print("map", block.Scores);
                }
            )
        );
        return command;
    }
}
