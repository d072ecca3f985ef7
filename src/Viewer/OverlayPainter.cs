using Amil.MLNet.Maps.Heatmaps;
using Amil.MLNet.Maps.Metrics;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Images;
using SkiaSharp;

namespace Amil.MLNet.Viewer;

/// <summary>Overlay tiles: a map's patches coloured over their level-0 squares (transparent where the value is near
/// zero, so the tissue shows through), or an outline (the tumour mask, the tissue) two screen pixels wide at every
/// zoom. Transparent PNG, drawn over the item's own tile of the same address.</summary>
internal sealed class OverlayPainter
{
    // Lazy: the many overlay tiles a view asks for at once share one computation (and one failure) per outline.
    private readonly Lru<(int, string), Lazy<OutlineGrid?>> _outlines = new(16);

    /// <summary>An outline grid: true inside, over the item's whole extent.</summary>
    private sealed record OutlineGrid(int Width, int Height, bool[] Inside)
    {
        /// <summary>The level-0 extent the grid covers; default the item's.</summary>
        public (int Width, int Height)? Span { get; init; }
    }

    /// <summary>Values below this share of the scale stay transparent.</summary>
    public const float Floor = 0.02f;

    public static byte[] Map(
        ViewItem item,
        float[] normalized,
        Colormap colormap,
        (double X, double Y, double Width, double Height) region,
        int width,
        int height
    )
    {
        var rgba = new byte[width * height * 4];
        var s = item.Scored;
        double sx = width / region.Width,
            sy = height / region.Height;
        int side = s.PatchSize;
        for (int k = 0; k < normalized.Length; k++)
        {
            float v = normalized[k];
            if (!(v >= Floor))
                continue;
            double px = s.Coordinates[2 * k],
                py = s.Coordinates[2 * k + 1];
            int x0 = Math.Max(0, (int)Math.Floor((px - region.X) * sx)),
                y0 = Math.Max(0, (int)Math.Floor((py - region.Y) * sy)),
                x1 = Math.Min(width, (int)Math.Ceiling((px + side - region.X) * sx)),
                y1 = Math.Min(height, (int)Math.Ceiling((py + side - region.Y) * sy));
            if (x0 >= x1 || y0 >= y1)
                continue;
            var (r, g, b) = colormap[v];
            for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
            {
                int i = (y * width + x) * 4;
                (rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]) = (r, g, b, 255);
            }
        }
        return Png(rgba, width, height);
    }

    /// <summary>The outline of the item's tumour mask or tissue; null when the item has none.</summary>
    public byte[]? Outline(
        ViewItem item,
        string layer,
        (double X, double Y, double Width, double Height) region,
        int width,
        int height,
        (byte R, byte G, byte B) colour
    )
    {
        var grid = _outlines.GetOrAdd((item.Id, layer), () => new Lazy<OutlineGrid?>(() => Load(item, layer))).Value;
        if (grid is null)
            return null;
        // Inside/outside of each tile pixel (one pixel of margin), then the pixels whose neighbours differ.
        int w2 = width + 2,
            h2 = height + 2;
        var inside = new bool[w2 * h2];
        var (spanWidth, spanHeight) = grid.Span ?? (item.Width, item.Height);
        double gx = grid.Width / (double)spanWidth,
            gy = grid.Height / (double)spanHeight;
        for (int y = 0; y < h2; y++)
        {
            double level0Y = region.Y + (y - 0.5) * region.Height / height;
            int my = (int)Math.Floor(level0Y * gy);
            for (int x = 0; x < w2; x++)
            {
                double level0X = region.X + (x - 0.5) * region.Width / width;
                int mx = (int)Math.Floor(level0X * gx);
                inside[y * w2 + x] =
                    mx >= 0 && my >= 0 && mx < grid.Width && my < grid.Height && grid.Inside[my * grid.Width + mx];
            }
        }
        var rgba = new byte[width * height * 4];
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            int c = (y + 1) * w2 + x + 1;
            bool v = inside[c];
            if (inside[c - 1] != v || inside[c + 1] != v || inside[c - w2] != v || inside[c + w2] != v)
            {
                int i = (y * width + x) * 4;
                (rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]) = (colour.R, colour.G, colour.B, 255);
            }
        }
        return Png(rgba, width, height);
    }

    private static OutlineGrid? Load(ViewItem item, string layer)
    {
        if (layer == ViewLayers.Quality)
            return item.Kind == ModelInput.Slides ? Flagged(item) : null;
        if (layer == ViewLayers.Tissue)
        {
            if (item.Kind != ModelInput.Slides)
                return null;
            using var slide = SlideImage.Open(item.FilePath);
            var tissue = TissueMap.Detect(slide);
            return new OutlineGrid(tissue.Width, tissue.Height, tissue.Tissue);
        }
        if (item.MaskPath is not { } path)
            return null;
        if (item.Kind == ModelInput.Slides)
        {
            var raster = AnnotationMask.ReadMask(path, item.Width, item.Height);
            var inside = new bool[raster.Width * raster.Height];
            for (int i = 0; i < inside.Length; i++)
                inside[i] = raster.Pixels[3 * i] > 127;
            return new OutlineGrid(raster.Width, raster.Height, inside);
        }
        var mask = TumourMask.Read(path);
        if (item.Kind == ModelInput.Images && item.Scored.Frame is { } frame)
            mask = mask.Prepared(frame);
        return new OutlineGrid(mask.Width, mask.Height, mask.Tumour);
    }

    /// <summary>The tiles quality control flags on a slide (the default tiling, 224 px at 20×), one grid cell a
    /// tile: their outlines. Reads every tile once, when the layer is first shown.</summary>
    private static OutlineGrid Flagged(ViewItem item)
    {
        using var slide = SlideImage.Open(item.FilePath);
        var tiling = new SlideTilesOptions().Tiling;
        var tiles = SlideTiling.Plan(slide, TissueMap.Detect(slide), tiling);
        var flags = SlideQuality.Assess(slide, tiles, tiling.TileSize);
        int side = tiles.Count > 0 ? tiles[0].Side : Math.Max(item.Width, item.Height);
        int width = (item.Width + side - 1) / side,
            height = (item.Height + side - 1) / side;
        var inside = new bool[width * height];
        for (int k = 0; k < tiles.Count; k++)
            if (flags[k] != TileFlags.None)
                inside[tiles[k].Y / side * width + tiles[k].X / side] = true;
        // The grid spans whole tiles, a little more than the slide: stretch it to the slide's extent.
        return new OutlineGrid(width, height, inside) { Span = (width * side, height * side) };
    }

    /// <summary>JPEG of an item tile.</summary>
    public static byte[] Jpeg(RgbImage image) => RgbImageWriter.EncodeJpeg(image, 85);

    private static byte[] Png(byte[] rgba, int width, int height)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        rgba.CopyTo(bitmap.GetPixelSpan());
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
