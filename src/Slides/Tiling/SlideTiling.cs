using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Persistence;

namespace Amil.MLNet.Slides;

/// <summary>Settings of <see cref="SlideTiling.Plan"/>: tile size and the scale to tile at.</summary>
public sealed record TilingSettings
{
    /// <summary>Tile side in pixels at the chosen scale. Default 224 (ResNet18's input).</summary>
    public int TileSize { get; init; } = 224;

    /// <summary>Tile at this many µm per pixel (e.g. 0.5 ≈ 20×, 1.0 ≈ 10×). Default none: see <see
    /// cref="Magnification"/>.</summary>
    public double? MicronsPerPixel { get; init; }

    /// <summary>Tile at this objective power (e.g. 20, 10); used when <see cref="MicronsPerPixel"/> is not set.
    /// Default none: level 0's own scale.</summary>
    public double? Magnification { get; init; }

    /// <summary>Keep a tile when at least this share of it is tissue. Default 0.5.</summary>
    public double MinimumTissue { get; init; } = 0.5;

    /// <summary>Share of a tile its neighbours overlap, in [0, 0.9): the grid's step is (1 − overlap) tiles, so a
    /// lesion smaller than a tile falls whole inside more of them (0.5: four times the tiles). Default 0.</summary>
    public double Overlap { get; init; }
}

/// <summary>A tile of a slide: its corner and side in level-0 pixels, and its share of tissue.</summary>
public sealed record SlideTile(int X, int Y, int Side, double Tissue);

/// <summary>The tiles of a slide: a grid at a chosen scale over the tissue, coordinates kept at level 0.</summary>
public static class SlideTiling
{
    /// <summary>Level-0 pixels per tile pixel for the settings.</summary>
    public static double Downsample(SlideImage slide, TilingSettings settings)
    {
        var scale = slide.Properties;
        if (settings.MicronsPerPixel is { } mpp)
        {
            if (!(mpp > 0))
                throw new ArgumentException($"The tiling scale must be positive (got {mpp} µm/px).");
            return mpp
                / (
                    scale.MicronsPerPixel
                    ?? throw new ArgumentException(
                        $"{slide.FilePath}: the slide does not say its µm per pixel, so it cannot be tiled at "
                            + $"{mpp} µm/px; give its scale (µm per level-0 pixel) in a {SlideScaleTable.FileName} "
                            + "beside it (columns slide,mpp), or tile at a magnification."
                    )
                );
        }
        if (settings.Magnification is { } magnification)
        {
            if (!(magnification > 0))
                throw new ArgumentException($"The tiling magnification must be positive (got {magnification}).");
            // Without an objective power, the usual convention: 20× ≈ 0.5 µm/px.
            double objective =
                scale.ObjectivePower
                ?? (scale.MicronsPerPixel is { } own ? 10 / own : (double?)null)
                ?? throw new ArgumentException(
                    $"{slide.FilePath}: the slide says neither its objective power nor its µm per pixel, so it cannot "
                        + $"be tiled at {magnification}×; give its scale in a {SlideScaleTable.FileName} beside it "
                        + "(columns slide,mpp)."
                );
            return objective / magnification;
        }
        return 1;
    }

    /// <summary>The tiles over tissue, row by row, on a grid from the slide's corner.</summary>
    public static IReadOnlyList<SlideTile> Plan(SlideImage slide, TissueMap tissue, TilingSettings settings)
    {
        if (settings.TileSize < 1)
            throw new ArgumentException($"The tile size must be positive (got {settings.TileSize}).");
        if (settings.MinimumTissue is < 0 or > 1)
            throw new ArgumentException($"The minimum tissue share must be in [0, 1] (got {settings.MinimumTissue}).");
        if (!(settings.Overlap >= 0 && settings.Overlap < 0.9))
            throw new ArgumentException($"The tile overlap must be in [0, 0.9) (got {settings.Overlap}).");
        double downsample = Downsample(slide, settings);
        int side = Math.Max(1, (int)Math.Round(settings.TileSize * downsample));
        int step = Math.Max(1, (int)Math.Round(side * (1 - settings.Overlap)));
        var tiles = new List<SlideTile>();
        for (int y = 0; y + side <= slide.Height; y += step)
        for (int x = 0; x + side <= slide.Width; x += step)
        {
            double share = tissue.Fraction(x, y, side, side);
            if (share >= settings.MinimumTissue && share > 0)
                tiles.Add(new SlideTile(x, y, side, share));
        }
        return tiles;
    }

    /// <summary>The tiles whose centre lies in the white of <paramref name="regions"/>, a mask of the whole slide at
    /// any resolution (<see cref="AnnotationMask.ReadRegions"/>).</summary>
    public static IReadOnlyList<SlideTile> InsideRegions(
        IReadOnlyList<SlideTile> tiles,
        RgbImage regions,
        int slideWidth,
        int slideHeight
    )
    {
        double sx = regions.Width / (double)slideWidth,
            sy = regions.Height / (double)slideHeight;
        return
        [
            .. tiles.Where(t =>
            {
                int x = Math.Clamp((int)((t.X + t.Side / 2.0) * sx), 0, regions.Width - 1),
                    y = Math.Clamp((int)((t.Y + t.Side / 2.0) * sy), 0, regions.Height - 1);
                return regions[x, y, 0] > 127;
            }),
        ];
    }

    /// <summary>A tile's pixels at the tiling scale: read from the most detailed level not finer than needed and
    /// resized to <paramref name="tileSize"/>.</summary>
    public static RgbImage Read(SlideImage slide, SlideTile tile, int tileSize)
    {
        double downsample = tile.Side / (double)tileSize;
        int level = slide.BestLevel(downsample);
        double levelDownsample = slide.Levels[level].Downsample;
        int x = (int)Math.Round(tile.X / levelDownsample),
            y = (int)Math.Round(tile.Y / levelDownsample),
            side = Math.Max(1, (int)Math.Round(tile.Side / levelDownsample));
        var region = slide.ReadRegion(level, x, y, side, side);
        return side == tileSize ? region : ImageResizer.Resize(region, tileSize, tileSize);
    }
}
