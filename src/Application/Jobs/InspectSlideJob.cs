using System.Globalization;
using System.Text.Json.Serialization;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Application.Jobs;

/// <summary>The `slide` job: what a slide file holds (levels, scale), where its tissue is and which tiles a given
/// scale gives: slide.json, tiles.csv (level-0 coordinates) and a preview PNG to check them by eye.</summary>
public static class InspectSlideJob
{
    public sealed record Level(
        [property: JsonPropertyName("width")] int Width,
        [property: JsonPropertyName("height")] int Height,
        [property: JsonPropertyName("downsample")] double Downsample,
        [property: JsonPropertyName("tile")] string Tile
    );

    public sealed record Report(
        [property: JsonPropertyName("slide")] string Slide,
        [property: JsonPropertyName("vendor")] string Vendor,
        [property: JsonPropertyName("microns_per_pixel")] double? MicronsPerPixel,
        [property: JsonPropertyName("objective_power")] double? ObjectivePower,
        [property: JsonPropertyName("levels")] IReadOnlyList<Level> Levels,
        [property: JsonPropertyName("tissue_fraction")] double TissueFraction,
        [property: JsonPropertyName("saturation_threshold")] double SaturationThreshold,
        [property: JsonPropertyName("tile_size")] int TileSize,
        [property: JsonPropertyName("tile_side_level0")] int TileSideAtLevel0,
        [property: JsonPropertyName("tiles")] int Tiles
    )
    {
        /// <summary>With quality control: how many tiles each flag holds (blur, pen, fold, background).</summary>
        [JsonPropertyName("quality")]
        public IReadOnlyDictionary<string, int>? Quality { get; init; }
    }

    public static Report Run(
        string slidePath,
        string outFolder,
        SlideScale scale,
        TilingSettings tiling,
        TissueSettings tissueSettings,
        Action<string> log,
        bool quality = false
    )
    {
        using var slide = SlideImage.Open(slidePath, scale);
        var p = slide.Properties;
        string microns = p.MicronsPerPixel is { } mpp
                ? FormattableString.Invariant($"{mpp:G4} µm/px")
                : "µm/px unknown",
            objective = p.ObjectivePower is { } mag ? FormattableString.Invariant($"{mag:G3}×") : "objective unknown";
        log(
            $"{slidePath}: {slide.Width}×{slide.Height} px, {slide.Levels.Count} levels, {p.Vendor}, {microns}, "
                + $"{objective}{(p.ScaleTable is { } table ? $" (scale from {table})" : "")}."
        );
        var tissue = TissueMap.Detect(slide, tissueSettings);
        var tiles = SlideTiling.Plan(slide, tissue, tiling);
        log(
            FormattableString.Invariant($"Tissue: {tissue.TissueFraction:P1} of the slide; ")
                + $"{tiles.Count} tiles of {tiling.TileSize} px ({(tiles.Count > 0 ? tiles[0].Side : 0)} level-0 px)."
        );
        var flags = quality ? SlideQuality.Assess(slide, tiles, tiling.TileSize) : null;
        if (flags is not null)
            log($"Quality control: {SlideQuality.Describe(flags)} tiles flagged (red in the preview).");
        OutputFolder.Create(outFolder);
        string name = Path.GetFileNameWithoutExtension(slidePath);
        RgbImageWriter.WritePng(
            Path.Combine(outFolder, name + ".tiles.png"),
            TilingPreview.Render(tissue, tiles, flags)
        );
        AtomicFile.WriteText(Path.Combine(outFolder, name + ".tiles.csv"), TilesCsv(tiles, flags));
        var report = new Report(
            Path.GetFullPath(slidePath),
            p.Vendor,
            p.MicronsPerPixel,
            p.ObjectivePower,
            slide
                .Levels.Select(l => new Level(
                    l.Width,
                    l.Height,
                    Math.Round(l.Downsample, 4),
                    $"{l.TileWidth}x{l.TileHeight}"
                ))
                .ToList(),
            Math.Round(tissue.TissueFraction, 4),
            Math.Round(tissue.Threshold, 4),
            tiling.TileSize,
            (int)Math.Round(tiling.TileSize * SlideTiling.Downsample(slide, tiling)),
            tiles.Count
        )
        {
            Quality = flags is null ? null : SlideQuality.Counts(flags),
        };
        RunFiles.WriteJson(Path.Combine(outFolder, name + ".slide.json"), report);
        log($"Wrote {name}.slide.json, {name}.tiles.csv and {name}.tiles.png under {Path.GetFullPath(outFolder)}.");
        return report;
    }

    /// <summary>tiles.csv: x,y,side,tissue (level-0 pixels), and with quality control the flags
    /// ("blur|fold").</summary>
    private static string TilesCsv(IReadOnlyList<SlideTile> tiles, TileFlags[]? flags) =>
        (flags is null ? "x,y,side,tissue\n" : "x,y,side,tissue,flags\n")
        + string.Concat(
            tiles.Select(
                (t, k) =>
                    string.Create(CultureInfo.InvariantCulture, $"{t.X},{t.Y},{t.Side},{t.Tissue:F3}")
                    + (flags is null ? "" : "," + SlideQuality.Name(flags[k]))
                    + "\n"
            )
        );
}
