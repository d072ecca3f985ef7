using System.CommandLine;
using System.Globalization;
using Amil.MLNet.Application;
using Amil.MLNet.Maps.Metrics;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Features;

namespace Amil.MLNet.Runner;

/// <summary><c>amil localize</c>: how well several models' maps find tumour, in one table.</summary>
internal sealed class LocalizeCommand
{
    private readonly Option<string[]> _model = new("--model")
    {
        Description =
            "MIL model.zip (from train); repeat to compare several (--model A --model B). LABEL=PATH names the "
            + "model's rows (default: its folder's name).",
    };
    private readonly Option<string?> _gradCam = new("--gradcam-model")
    {
        Description = "CNN baseline model.zip (from train --baseline cnn), scored with Grad-CAM.",
    };
    private readonly Option<string> _output = CommonOptions.Out("Folder for localization.json and localization.md.");
    private readonly Option<string> _split = CommonOptions.OneOf(
        new Option<string>("--split")
        {
            Description = "test (the dataset's test split) or all.",
            DefaultValueFactory = _ => "test",
        },
        "test",
        "all"
    );
    private readonly Option<string> _normalize = CommonOptions.Normalize(
        "none",
        "before scoring (none = the maps as the models give them)"
    );
    private readonly Option<string[]> _weight = new("--weight-by-probability")
    {
        Description =
            "Class-aware maps: multiply each image's map by the model's probability of these classes (e.g. "
            + "malignant, or InSitu Invasive), "
            + "so images the model calls tumour-free fade out. Reported as a separate setting in "
            + "localization.json.",
        AllowMultipleArgumentsPerToken = true,
    };
    private readonly Option<string[]> _mapClass = new("--map-class")
    {
        Description =
            "Class-aware models (--pooling additive or clam): score the map of these classes (summed) in every "
            + "image, e.g. malignant, instead of the map of the predicted class.",
        AllowMultipleArgumentsPerToken = true,
    };
    private readonly Option<string?> _splitFile = new("--split-file")
    {
        Description =
            "Compare on the test part of this split file (path,label,patient,part, as train --folds writes in "
            + "OUT/splits/) instead of the dataset's test split, e.g. a fold's models on their own fold.",
    };

    public static Command Create() => new LocalizeCommand().Build();

    private Command Build()
    {
        var command = new Command(
            "localize",
            "Compare how well models' maps find tumour on test images with masks: one table with each method's bag "
                + "accuracy and AUC, instance AUROC/AP, pixel AUROC, best Dice/IoU and pointing game (per class too); "
                + "writes DIR/localization.json and DIR/localization.md.\n"
                + "Example: amil localize --model amil=runs/a/model.zip --model additive=runs/b/model.zip "
                + "--gradcam-model runs/c/model.zip --map-class malignant --dataset synthetic --out runs/compare"
        )
        {
            _model,
            _gradCam,
            _output,
            _split,
            _splitFile,
            _normalize,
            _weight,
            _mapClass,
        };
        var datasetOptions = new DatasetOptionGroup(command, _gradCam);
        var scoring = new ScoringOptionGroup(command);
        var shards = new ShardOptionGroup(command, ShardOptionGroup.Scoring("the comparison"));
        command.SetAction(r =>
            CommandRunner.Run(r, () => Run(r, datasetOptions.Read(r), scoring.Read(r) with { Shard = shards.Read(r) }))
        );
        return command;
    }

    private void Run(ParseResult r, DatasetSelection selection, ScoringOptions scoring)
    {
        var comparison = LocalizeJob.Compare(
            r.GetValue(_model) ?? [],
            r.GetValue(_gradCam),
            selection,
            r.GetValue(_output)!,
            CommonOptions.Normalization(r, _normalize),
            r.GetValue(_split) == "all",
            CommandRunner.Log,
            r.GetValue(_weight) is { Length: > 0 } classes ? classes : null,
            r.GetValue(_mapClass) is { Length: > 0 } mapClasses ? mapClasses : null,
            scoring,
            r.GetValue(_splitFile)
        );
        if (comparison is null)
            return; // another shard compares
        Console.Write(comparison.Markdown);
        Console.WriteLine($"Wrote {comparison.Written}");
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
