using System.CommandLine;
using System.Globalization;
using Amil.MLNet.Application;
using Amil.MLNet.Application.Jobs;
using Amil.MLNet.Slides;
using Amil.MLNet.Trainers;
using Amil.MLNet.Transforms.Features;

namespace Amil.MLNet.Runner;

/// <summary><c>amil heatmap</c>: a model's maps drawn over images or slides.</summary>
internal sealed class HeatmapCommand
{
    private readonly Option<string> _model = CommonOptions.Model();
    private readonly Option<string?> _gradCam = new("--gradcam-model")
    {
        Description = "CNN baseline model.zip (train --baseline cnn); adds its Grad-CAM overlay to each panel.",
    };
    private readonly Option<string> _input = new("--input")
    {
        Description = "An image file or a folder of images; for a slide-level model, a slide or a folder of slides.",
        Required = true,
    };
    private readonly Option<string> _output = CommonOptions.Out("Folder for the panels, raw maps and heatmaps.json.");
    private readonly Option<string> _normalize = CommonOptions.Normalize(
        "minmax",
        "of the model's map (raw map PNGs; panels with --show map)"
    );
    private readonly Option<string> _show = CommonOptions.OneOf(
        new Option<string>("--show")
        {
            Description =
                "What the panels colour: evidence (default: the evidence for the tumour classes, e.g. attention × "
                + "p(malignant), on one scale shared by every image drawn, so a tumour-free call stays cool) or map "
                + "(the model's own map, normalised per image by --normalize).",
            DefaultValueFactory = _ => "evidence",
        },
        "evidence",
        "map"
    );
    private readonly Option<string[]> _tumour = new("--tumour-class", "--map-class")
    {
        Description =
            "The classes the evidence is for, on images and slides alike (default: every class not named benign, "
            + "normal, negative or healthy). --map-class is another name for it.",
        AllowMultipleArgumentsPerToken = true,
    };
    private readonly Option<string> _colormap = CommonOptions.OneOf(
        new Option<string>("--colormap") { Description = "jet, viridis or inferno.", DefaultValueFactory = _ => "jet" },
        "jet",
        "viridis",
        "inferno"
    );
    private readonly Option<float> _alpha = new("--alpha")
    {
        Description = "Overlay opacity, 0 to 1.",
        DefaultValueFactory = _ => 0.45f,
    };

    public static Command Create() => new HeatmapCommand().Build();

    private Command Build()
    {
        var command = new Command(
            "heatmap",
            "Draw localization maps: per image NAME.panel.png (analysed region | attention overlay | Grad-CAM "
                + "overlay), NAME.attention.png "
                + "(raw map, grey), NAME.attention-weighted.png (the reference rendering: patches scaled by weight) "
                + "and heatmaps.json. Slide-level models: per slide ID.png (tiles coloured over the thumbnail) and "
                + "ID.geojson (QuPath tiles with the map as measurements).\n"
                + "Example: amil heatmap --model runs/a/model.zip --gradcam-model runs/c/model.zip --input "
                + ".cache/synthetic-breakhis/BreaKHis_v1 --out heatmaps"
        )
        {
            _model,
            _gradCam,
            _input,
            _output,
            _normalize,
            _show,
            _tumour,
            _colormap,
            _alpha,
        };
        var scoring = new ScoringOptionGroup(command);
        var shards = new ShardOptionGroup(command, ShardOptionGroup.Scoring("every panel and heatmaps.json"));
        command.SetAction(r => CommandRunner.Run(r, () => Run(r, scoring.Read(r) with { Shard = shards.Read(r) })));
        return command;
    }

    private void Run(ParseResult r, ScoringOptions scoring)
    {
        var drawn = HeatmapJob.Run(
            r.GetValue(_model)!,
            r.GetValue(_gradCam),
            r.GetValue(_input)!,
            r.GetValue(_output)!,
            Settings(r),
            CommandRunner.Log,
            scoring,
            CommandRunner.Interrupt
        );
        if (drawn.Waiting)
            return; // another shard draws
        string dir = Path.GetFullPath(r.GetValue(_output)!);
        Console.WriteLine(
            drawn.Slides.Count > 0
                ? $"Wrote {drawn.Slides.Count} slide heatmap(s) (PNG + GeoJSON) to {dir}"
                : $"Wrote {drawn.Panels.Count} panel(s) to {dir}"
        );
    }

    private HeatmapJob.Settings Settings(ParseResult r)
    {
        float a = r.GetValue(_alpha);
        if (a is < 0 or > 1)
            throw new ArgumentException(
                $"--alpha must be between 0 and 1 (got {a.ToString(CultureInfo.InvariantCulture)})."
            );
        return new HeatmapJob.Settings(
            CommonOptions.Normalization(r, _normalize),
            r.GetValue(_colormap)!,
            a,
            r.GetValue(_show) == "map" ? HeatmapJob.Shows.Map : HeatmapJob.Shows.Evidence,
            r.GetValue(_tumour) is { Length: > 0 } t ? t : null
        );
    }
}
