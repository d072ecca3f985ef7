using System.CommandLine;
using System.Globalization;
using Amil.MLNet.Application;
using Amil.MLNet.Application.Jobs;
using Amil.MLNet.Slides;
using Amil.MLNet.Trainers;
using Amil.MLNet.Transforms.Features;

namespace Amil.MLNet.Runner;

internal static class HeatmapCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var gradCam = new Option<string?>("--gradcam-model")
        {
            Description = "CNN baseline model.zip (train --baseline cnn); adds its Grad-CAM overlay to each panel.",
        };
        var input = new Option<string>("--input")
        {
            Description =
                "An image file or a folder of images; for a slide-level model, a slide or a folder of slides.",
            Required = true,
        };
        var output = CommonOptions.Out("Folder for the panels, raw maps and heatmaps.json.");
        var normalize = CommonOptions.Normalize("minmax", "of the model's map (raw map PNGs; panels with --show map)");
        var show = new Option<string>("--show")
        {
            Description =
                "What the panels colour: evidence (default: the evidence for the tumour classes, e.g. attention × "
                + "p(malignant), on one scale shared by every image drawn, so a tumour-free call stays cool) or map "
                + "(the model's own map, normalised per image by --normalize).",
            DefaultValueFactory = _ => "evidence",
        };
        show.AcceptOnlyFromAmong("evidence", "map");
        var tumour = new Option<string[]>("--tumour-class", "--map-class")
        {
            Description =
                "The classes the evidence is for, on images and slides alike (default: every class not named benign, "
                + "normal, negative or healthy). --map-class is another name for it.",
            AllowMultipleArgumentsPerToken = true,
        };
        var colormap = new Option<string>("--colormap")
        {
            Description = "jet, viridis or inferno.",
            DefaultValueFactory = _ => "jet",
        };
        colormap.AcceptOnlyFromAmong("jet", "viridis", "inferno");
        var alpha = new Option<float>("--alpha")
        {
            Description = "Overlay opacity, 0 to 1.",
            DefaultValueFactory = _ => 0.45f,
        };
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
            model,
            gradCam,
            input,
            output,
            normalize,
            show,
            tumour,
            colormap,
            alpha,
        };
        var scoring = new ScoringOptionGroup(command);
        var shards = new ShardOptionGroup(command, ShardOptionGroup.Scoring("every panel and heatmaps.json"));
        command.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                {
                    float a = r.GetValue(alpha);
                    if (a is < 0 or > 1)
                        throw new ArgumentException(
                            $"--alpha must be between 0 and 1 (got {a.ToString(CultureInfo.InvariantCulture)})."
                        );
                    var drawn = HeatmapJob.Run(
                        r.GetValue(model)!,
                        r.GetValue(gradCam),
                        r.GetValue(input)!,
                        r.GetValue(output)!,
                        new HeatmapJob.Settings(
                            CommonOptions.Normalization(r, normalize),
                            r.GetValue(colormap)!,
                            a,
                            r.GetValue(show) == "map" ? HeatmapJob.Shows.Map : HeatmapJob.Shows.Evidence,
                            r.GetValue(tumour) is { Length: > 0 } t ? t : null
                        ),
                        CommandRunner.Log,
                        scoring.Read(r) with
                        {
                            Shard = shards.Read(r),
                        },
                        CommandRunner.Interrupt
                    );
                    if (drawn.Waiting)
                        return; // another shard draws
                    string dir = Path.GetFullPath(r.GetValue(output)!);
                    Console.WriteLine(
                        drawn.Slides.Count > 0
                            ? $"Wrote {drawn.Slides.Count} slide heatmap(s) (PNG + GeoJSON) to {dir}"
                            : $"Wrote {drawn.Panels.Count} panel(s) to {dir}"
                    );
                }
            )
        );
        return command;
    }
}
