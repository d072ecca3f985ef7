using System.CommandLine;
using System.Globalization;
using Amil.MLNet.Application;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Features;

namespace Amil.MLNet.Runner;

internal static class PredictCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var input = new Option<string>("--input")
        {
            Description =
                "An image file or a folder of images; for a slide-level model, a slide or a folder of slides.",
            Required = true,
        };
        var output = CommonOptions.Out("Folder for predictions.json.");
        var onBadImage = CommonOptions.OnBadImage();
        var mapClass = new Option<string?>("--map-class")
        {
            Description =
                "Class-aware models (additive, CLAM, DSMIL): report this class's map for every image or slide (e.g. "
                + "malignant) instead of the predicted class's. Every class's value is in each patch's \"classes\" "
                + "anyway.",
        };
        var weight = new Option<string?>("--weight-by-probability")
        {
            Description = "Multiply the reported map by the image's (or slide's) p(this class), e.g. malignant.",
        };
        var abstain = new Option<double?>("--abstain-above")
        {
            Description =
                "Mark and list the predictions whose uncertainty (entropy of the calibrated probabilities over ln C: "
                + "0 certain, 1 uniform) is above this, 0 to 1, as cases to review (\"review\": true). Every "
                + "prediction's \"uncertainty\" is in predictions.json anyway; report.html's accuracy-against-"
                + "coverage chart helps pick the threshold.",
        };
        var ensemble = new Option<string[]>("--ensemble")
        {
            Description =
                "More model.zip files to average with --model (e.g. the folds' models of train --folds; the same "
                + "classes): the calibrated probabilities are averaged, each prediction gets the ensemble's "
                + "\"disagreement\" (mutual information over ln C: how much the models disagree, beside the total "
                + "\"uncertainty\"), and the maps are averaged where the models cut the same patches.",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command(
            "predict",
            "Classify images and report attention per patch; writes DIR/predictions.json.\nExample: amil predict "
                + "--model runs/x/model.zip --input slide.png --out preds"
        )
        {
            model,
            input,
            output,
            onBadImage,
            mapClass,
            weight,
            abstain,
            ensemble,
        };
        var scoring = new ScoringOptionGroup(command);
        var shards = new ShardOptionGroup(
            command,
            " of the input into OUT/shards/; the last shard to finish merges them into OUT/predictions.json, and a "
                + "shard already written for the same input and models is not scored again"
        );
        command.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                {
                    foreach (
                        var p in PredictJob.Run(
                            r.GetValue(model)!,
                            r.GetValue(input)!,
                            r.GetValue(output)!,
                            CommandRunner.Log,
                            new PredictJob.Options
                            {
                                OnBadImage = CommonOptions.Policy(r, onBadImage),
                                Scoring = scoring.Read(r) with { Shard = shards.Read(r) },
                                Map = new PredictJob.ReportedMap(r.GetValue(mapClass), r.GetValue(weight)),
                                AbstainAbove = r.GetValue(abstain),
                                Ensemble = r.GetValue(ensemble) ?? [],
                            },
                            CommandRunner.Interrupt
                        )
                    )
                        Console.WriteLine(
                            string.Create(
                                CultureInfo.InvariantCulture,
                                $"{p.Predicted, -12} {p.Probabilities[p.Predicted]:F3}  {p.Path}"
                            )
                        );
                }
            )
        );
        return command;
    }
}
