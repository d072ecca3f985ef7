using System.CommandLine;
using Amil.MLNet.Application.Jobs;
using Amil.MLNet.Slides;

namespace Amil.MLNet.Runner;

internal static class SlideCommand
{
    public static Command Create()
    {
        var slide = new Option<string>("--slide")
        {
            Description = "Slide file: a tiled pyramidal TIFF or Aperio .svs.",
            Required = true,
        };
        var output = CommonOptions.Out("Folder for NAME.slide.json, NAME.tiles.csv and NAME.tiles.png.");
        var tileSize = new Option<int>("--tile-size")
        {
            Description = "Tile side in pixels at the tiling scale.",
            DefaultValueFactory = _ => 224,
        };
        var mpp = new Option<double?>("--mpp") { Description = "Tile at this many µm per pixel (e.g. 0.5 ≈ 20×)." };
        var magnification = new Option<double?>("--magnification")
        {
            Description = "Tile at this objective power (e.g. 20, 10), when --mpp is not given (default: level 0).",
        };
        var minTissue = new Option<double>("--min-tissue")
        {
            Description = "Keep tiles that are at least this share tissue.",
            DefaultValueFactory = _ => 0.5,
        };
        var slideMpp = new Option<double?>("--slide-mpp")
        {
            Description = "The slide's µm per level-0 pixel, overriding (or supplying) what the file says.",
        };
        var slideMagnification = new Option<double?>("--slide-magnification")
        {
            Description = "The slide's objective power, overriding (or supplying) what the file says.",
        };
        var quality = new Option<bool>("--quality")
        {
            Description =
                "Also run quality control: flag each tile for blur, pen ink, folds and glass (read at the tiling "
                + "scale, against the slide's own typical tile); flags in tiles.csv and slide.json, flagged tiles "
                + "red in the preview.",
        };
        var command = new Command(
            "slide",
            "Inspect a whole-slide image: levels and scale, the tissue it finds and the tiles a scale gives "
                + "(level-0 coordinates), with a preview PNG (tissue outline green, tiles blue).\n"
                + "Example: amil slide --slide .cache/synthetic-wsi/slides/tumor_002.svs --out runs/slide --mpp 1"
        )
        {
            slide,
            output,
            tileSize,
            mpp,
            magnification,
            minTissue,
            slideMpp,
            slideMagnification,
            quality,
        };
        command.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                {
                    if (r.GetValue(slideMpp) is <= 0 || r.GetValue(slideMagnification) is <= 0)
                        throw new ArgumentException("--slide-mpp and --slide-magnification must be positive.");
                    if (r.GetValue(minTissue) is < 0 or > 1)
                        throw new ArgumentException($"--min-tissue must be in [0, 1] (got {r.GetValue(minTissue)}).");
                    InspectSlideJob.Run(
                        r.GetValue(slide)!,
                        r.GetValue(output)!,
                        new SlideScale(r.GetValue(slideMpp), r.GetValue(slideMagnification)),
                        new TilingSettings
                        {
                            TileSize = CommonOptions.Positive(r, tileSize),
                            MicronsPerPixel = r.GetValue(mpp),
                            Magnification = r.GetValue(magnification),
                            MinimumTissue = r.GetValue(minTissue),
                        },
                        new TissueSettings(),
                        CommandRunner.Log,
                        r.GetValue(quality)
                    );
                }
            )
        );
        return command;
    }
}
