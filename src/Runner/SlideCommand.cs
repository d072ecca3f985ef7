using System.CommandLine;
using Amil.MLNet.Application.Jobs;
using Amil.MLNet.Slides;

namespace Amil.MLNet.Runner;

/// <summary><c>amil slide</c>: what a whole slide holds and how it would be tiled.</summary>
internal sealed class SlideCommand
{
    private readonly Option<string> _slide = new("--slide")
    {
        Description = "Slide file: a tiled pyramidal TIFF or Aperio .svs.",
        Required = true,
    };
    private readonly Option<string> _output = CommonOptions.Out(
        "Folder for NAME.slide.json, NAME.tiles.csv and NAME.tiles.png."
    );
    private readonly Option<int> _tileSize = new("--tile-size")
    {
        Description = "Tile side in pixels at the tiling scale.",
        DefaultValueFactory = _ => 224,
    };
    private readonly Option<double?> _mpp = new("--mpp")
    {
        Description = "Tile at this many µm per pixel (e.g. 0.5 ≈ 20×).",
    };
    private readonly Option<double?> _magnification = new("--magnification")
    {
        Description = "Tile at this objective power (e.g. 20, 10), when --mpp is not given (default: level 0).",
    };
    private readonly Option<double> _minTissue = new("--min-tissue")
    {
        Description = "Keep tiles that are at least this share tissue.",
        DefaultValueFactory = _ => 0.5,
    };
    private readonly Option<double?> _slideMpp = new("--slide-mpp")
    {
        Description = "The slide's µm per level-0 pixel, overriding (or supplying) what the file says.",
    };
    private readonly Option<double?> _slideMagnification = new("--slide-magnification")
    {
        Description = "The slide's objective power, overriding (or supplying) what the file says.",
    };
    private readonly Option<bool> _quality = new("--quality")
    {
        Description =
            "Also run quality control: flag each tile for blur, pen ink, folds and glass (read at the tiling "
            + "scale, against the slide's own typical tile); flags in tiles.csv and slide.json, flagged tiles "
            + "red in the preview.",
    };

    public static Command Create() => new SlideCommand().Build();

    private Command Build()
    {
        var command = new Command(
            "slide",
            "Inspect a whole-slide image: levels and scale, the tissue it finds and the tiles a scale gives "
                + "(level-0 coordinates), with a preview PNG (tissue outline green, tiles blue).\n"
                + "Example: amil slide --slide .cache/synthetic-wsi/slides/tumor_002.svs --out runs/slide --mpp 1"
        )
        {
            _slide,
            _output,
            _tileSize,
            _mpp,
            _magnification,
            _minTissue,
            _slideMpp,
            _slideMagnification,
            _quality,
        };
        command.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                    InspectSlideJob.Run(
                        r.GetValue(_slide)!,
                        r.GetValue(_output)!,
                        Scale(r),
                        Tiling(r),
                        new TissueSettings(),
                        CommandRunner.Log,
                        r.GetValue(_quality)
                    )
            )
        );
        return command;
    }

    private SlideScale Scale(ParseResult r)
    {
        if (r.GetValue(_slideMpp) is <= 0 || r.GetValue(_slideMagnification) is <= 0)
            throw new ArgumentException("--slide-mpp and --slide-magnification must be positive.");
        return new SlideScale(r.GetValue(_slideMpp), r.GetValue(_slideMagnification));
    }

    private TilingSettings Tiling(ParseResult r)
    {
        if (r.GetValue(_minTissue) is < 0 or > 1)
            throw new ArgumentException($"--min-tissue must be in [0, 1] (got {r.GetValue(_minTissue)}).");
        return new TilingSettings
        {
            TileSize = CommonOptions.Positive(r, _tileSize),
            MicronsPerPixel = r.GetValue(_mpp),
            Magnification = r.GetValue(_magnification),
            MinimumTissue = r.GetValue(_minTissue),
        };
    }
}
