using System.CommandLine;
using System.Globalization;
using Amil.MLNet.Application;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Features;

namespace Amil.MLNet.Runner;

/// <summary><c>amil predict</c>: a model's class and map for each image or slide.</summary>
internal sealed class PredictCommand
{
    private readonly Option<string> _model = CommonOptions.Model();
    private readonly Option<string> _input = new("--input")
    {
        Description = "An image file or a folder of images; for a slide-level model, a slide or a folder of slides.",
        Required = true,
    };
    private readonly Option<string> _output = CommonOptions.Out("Folder for predictions.json.");
    private readonly Option<string> _onBadImage = CommonOptions.OnBadImage();
    private readonly Option<string?> _mapClass = new("--map-class")
    {
        Description =
            "Class-aware models (additive, CLAM, DSMIL): report this class's map for every image or slide (e.g. "
            + "malignant) instead of the predicted class's. Every class's value is in each patch's \"classes\" "
            + "anyway.",
    };
    private readonly Option<string?> _weight = new("--weight-by-probability")
    {
        Description = "Multiply the reported map by the image's (or slide's) p(this class), e.g. malignant.",
    };
    private readonly Option<double?> _abstain = new("--abstain-above")
    {
        Description =
            "Mark and list the predictions whose uncertainty (entropy of the calibrated probabilities over ln C: "
            + "0 certain, 1 uniform) is above this, 0 to 1, as cases to review (\"review\": true). Every "
            + "prediction's \"uncertainty\" is in predictions.json anyway; report.html's accuracy-against-"
            + "coverage chart helps pick the threshold.",
    };
    private readonly Option<string[]> _ensemble = new("--ensemble")
    {
        Description =
            "More model.zip files to average with --model (e.g. the folds' models of train --folds; the same "
            + "classes): the calibrated probabilities are averaged, each prediction gets the ensemble's "
            + "\"disagreement\" (mutual information over ln C: how much the models disagree, beside the total "
            + "\"uncertainty\"), and the maps are averaged where the models cut the same patches.",
        AllowMultipleArgumentsPerToken = true,
    };

    public static Command Create() => new PredictCommand().Build();

    private Command Build()
    {
        var command = new Command(
            "predict",
            "Classify images and report attention per patch; writes DIR/predictions.json.\nExample: amil predict "
                + "--model runs/x/model.zip --input slide.png --out preds"
        )
        {
            _model,
            _input,
            _output,
            _onBadImage,
            _mapClass,
            _weight,
            _abstain,
            _ensemble,
        };
        var scoring = new ScoringOptionGroup(command);
        var shards = new ShardOptionGroup(
            command,
            " of the input into OUT/shards/; the last shard to finish merges them into OUT/predictions.json, and a "
                + "shard already written for the same input and models is not scored again"
        );
        command.SetAction(r => CommandRunner.Run(r, () => Run(r, scoring.Read(r) with { Shard = shards.Read(r) })));
        return command;
    }

    private void Run(ParseResult r, ScoringOptions scoring)
    {
        var options = new PredictJob.Options
        {
            OnBadImage = CommonOptions.Policy(r, _onBadImage),
            Scoring = scoring,
            Map = new PredictJob.ReportedMap(r.GetValue(_mapClass), r.GetValue(_weight)),
            AbstainAbove = r.GetValue(_abstain),
            Ensemble = r.GetValue(_ensemble) ?? [],
        };
        var predictions = PredictJob.Run(
            r.GetValue(_model)!,
            r.GetValue(_input)!,
            r.GetValue(_output)!,
            CommandRunner.Log,
            options,
            CommandRunner.Interrupt
        );
        foreach (var p in predictions)
            Console.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{p.Predicted, -12} {p.Probabilities[p.Predicted]:F3}  {p.Path}"
                )
            );
    }
}
