using System.CommandLine;
using System.Globalization;
using Amil.MLNet.Application;
using Amil.MLNet.Maps.Metrics;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Features;

namespace Amil.MLNet.Runner;

internal static class LocalizeCommand
{
    public static Command Create()
    {
        var model = new Option<string[]>("--model")
        {
            Description =
                "MIL model.zip (from train); repeat to compare several (--model A --model B). LABEL=PATH names the "
                + "model's rows (default: its folder's name).",
        };
        var gradCam = new Option<string?>("--gradcam-model")
        {
            Description = "CNN baseline model.zip (from train --baseline cnn), scored with Grad-CAM.",
        };
        var output = CommonOptions.Out("Folder for localization.json and localization.md.");
        var split = new Option<string>("--split")
        {
            Description = "test (the dataset's test split) or all.",
            DefaultValueFactory = _ => "test",
        };
        split.AcceptOnlyFromAmong("test", "all");
        var normalize = CommonOptions.Normalize("none", "before scoring (none = the maps as the models give them)");
        var weight = new Option<string[]>("--weight-by-probability")
        {
            Description =
                "Class-aware maps: multiply each image's map by the model's probability of these classes (e.g. "
                + "malignant, or InSitu Invasive), "
                + "so images the model calls tumour-free fade out. Reported as a separate setting in "
                + "localization.json.",
            AllowMultipleArgumentsPerToken = true,
        };
        var mapClass = new Option<string[]>("--map-class")
        {
            Description =
                "Class-aware models (--pooling additive or clam): score the map of these classes (summed) in every "
                + "image, e.g. malignant, instead of the map of the predicted class.",
            AllowMultipleArgumentsPerToken = true,
        };
        var splitFile = new Option<string?>("--split-file")
        {
            Description =
                "Compare on the test part of this split file (path,label,patient,part, as train --folds writes in "
                + "OUT/splits/) instead of the dataset's test split, e.g. a fold's models on their own fold.",
        };
        var command = new Command(
            "localize",
            "Compare how well models' maps find tumour on test images with masks: one table with each method's bag "
                + "accuracy and AUC, instance AUROC/AP, pixel AUROC, best Dice/IoU and pointing game (per class too); "
                + "writes DIR/localization.json and DIR/localization.md.\n"
                + "Example: amil localize --model amil=runs/a/model.zip --model additive=runs/b/model.zip "
                + "--gradcam-model runs/c/model.zip --map-class malignant --dataset synthetic --out runs/compare"
        )
        {
            model,
            gradCam,
            output,
            split,
            splitFile,
            normalize,
            weight,
            mapClass,
        };
        var datasetOptions = new DatasetOptionGroup(command, gradCam);
        var scoring = new ScoringOptionGroup(command);
        var shards = new ShardOptionGroup(command, ShardOptionGroup.Scoring("the comparison"));
        command.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                {
                    var selection = datasetOptions.Read(r);
                    var comparison = LocalizeJob.Compare(
                        r.GetValue(model) ?? [],
                        r.GetValue(gradCam),
                        selection,
                        r.GetValue(output)!,
                        CommonOptions.Normalization(r, normalize),
                        r.GetValue(split) == "all",
                        CommandRunner.Log,
                        r.GetValue(weight) is { Length: > 0 } classes ? classes : null,
                        r.GetValue(mapClass) is { Length: > 0 } mapClasses ? mapClasses : null,
                        scoring.Read(r) with
                        {
                            Shard = shards.Read(r),
                        },
                        r.GetValue(splitFile)
                    );
                    if (comparison is null)
                        return; // another shard compares
                    Console.Write(comparison.Markdown);
                    Console.WriteLine($"Wrote {comparison.Written}");
                }
            )
        );
        return command;
    }

    public static void Print(string name, LocalizationScores s)
    {
        static string F(double? v) => v is double d ? d.ToString("F3", CultureInfo.InvariantCulture) : "  -  ";
        Console.WriteLine(
            $"{name, -15} instance AUROC {F(s.InstanceAuroc)}  AP {F(s.InstanceAp)}  pixel AUROC {F(s.PixelAuroc)}  "
                + $"best Dice {F(s.BestDice)}  best IoU {F(s.BestIou)}  pointing game {F(s.PointingGame)}"
        );
    }
}
