using System.CommandLine;
using Amil.MLNet.Application;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Features;

namespace Amil.MLNet.Runner;

/// <summary><c>amil evaluate</c>: a saved model's metrics on a dataset.</summary>
internal sealed class EvaluateCommand
{
    private readonly Option<string> _model = CommonOptions.Model();
    private readonly Option<string> _output = CommonOptions.Out("Folder for metrics.json.");
    private readonly Option<string> _split = CommonOptions.OneOf(
        new Option<string>("--split")
        {
            Description = "test (the dataset's test split) or all.",
            DefaultValueFactory = _ => "test",
        },
        "test",
        "all"
    );
    private readonly Option<string> _onBadImage = CommonOptions.OnBadImage();
    private readonly Option<bool> _localization = new("--localization")
    {
        Description =
            "Also score the model's map against tumour masks (needs masks/); adds \"localization\" to "
            + "metrics.json.",
    };
    private readonly Option<string> _normalize = CommonOptions.Normalize("none", "before the localization metrics");
    private readonly Option<string?> _splitFile = new("--split-file")
    {
        Description =
            "Evaluate the test part of this split file (path,label,patient,part, as train --split-file takes and "
            + "train --folds writes in OUT/splits/) instead of the dataset's test split, e.g. a fold's model on "
            + "its own fold.",
    };
    private readonly Option<string?> _classMap = new("--class-map")
    {
        Description =
            "External validation on a dataset that names the classes differently: DATASET_CLASS=MODEL_CLASS pairs, "
            + "comma-separated (e.g. tumor=malignant,normal=benign). Names that differ only in case, spaces, "
            + "dashes or underscores are matched without it; metrics.json records the mapping.",
    };

    public static Command Create() => new EvaluateCommand().Build();

    private Command Build()
    {
        var command = new Command(
            "evaluate",
            "Evaluate a model on a dataset; writes DIR/metrics.json.\nExample: amil evaluate --model "
                + "runs/x/model.zip --dataset synthetic --out runs/x/eval"
        )
        {
            _model,
            _output,
            _split,
            _onBadImage,
            _localization,
            _normalize,
            _splitFile,
            _classMap,
        };
        var datasetOptions = new DatasetOptionGroup(command, _model);
        var scoring = new ScoringOptionGroup(command);
        var shards = new ShardOptionGroup(command, ShardOptionGroup.Scoring("metrics.json"));
        command.SetAction(r =>
            CommandRunner.Run(r, () => Run(r, datasetOptions.Read(r), scoring.Read(r) with { Shard = shards.Read(r) }))
        );
        return command;
    }

    private void Run(ParseResult r, DatasetSelection selection, ScoringOptions scoring)
    {
        var options = new EvaluateJob.Options
        {
            AllItems = r.GetValue(_split) == "all",
            OnBadImage = CommonOptions.Policy(r, _onBadImage),
            Localization = r.GetValue(_localization),
            Normalization = CommonOptions.Normalization(r, _normalize),
            Scoring = scoring,
            SplitFile = r.GetValue(_splitFile),
            ClassMap = r.GetValue(_classMap) is { } map ? ClassMapping.Parse(map) : null,
        };
        var metrics = EvaluateJob.Run(
            r.GetValue(_model)!,
            selection,
            r.GetValue(_output)!,
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
}
