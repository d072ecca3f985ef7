using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Maps.Heatmaps;

/// <summary>Renders maps over the analysed region of an image (the crop the model saw, edge to edge: no padding
/// rows).</summary>
public static class HeatmapRenderer
{
    /// <summary>The analysed region of the image (the centre crop the bag was cut from).</summary>
    public static RgbImage Region(RgbImage image, BagLayout layout)
    {
        CheckFits(image, layout);
        var (x, y, w, h) = (layout.RegionX, layout.RegionY, layout.RegionWidth, layout.RegionHeight);
        return new RgbImage(w, h, Raster.Crop(image.Pixels, image.Width, 3, x, y, w, h));
    }

    /// <summary>Colour heatmap blended over the region: out = (1 − alpha) × image + alpha × colour(map); NaN pixels
    /// keep the image.</summary>
    /// <param name="map">A normalised map (values in [0, 1]).</param>
    public static RgbImage Overlay(RgbImage image, PatchMap map, Colormap colormap, float alpha = 0.45f)
    {
        if (alpha is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(alpha), $"Alpha must be in [0, 1] (got {alpha}).");
        var region = Region(image, map.Layout);
        var values = map.ToRegionPixels();
        var pixels = region.Pixels;
        for (int i = 0; i < values.Length; i++)
        {
            if (float.IsNaN(values[i]))
                continue;
            var (r, g, b) = colormap[values[i]];
            pixels[i * 3] = Blend(pixels[i * 3], r, alpha);
            pixels[i * 3 + 1] = Blend(pixels[i * 3 + 1], g, alpha);
            pixels[i * 3 + 2] = Blend(pixels[i * 3 + 2], b, alpha);
        }
        return region;
    }

    /// <summary>The reference rendering: each pixel of the region multiplied by its map value (patches fade to black by
    /// weight).</summary>
    /// <param name="map">A normalised map; Max normalisation reproduces the reference (the strongest patch at full
    /// brightness).</param>
    public static RgbImage Weighted(RgbImage image, PatchMap map)
    {
        var region = Region(image, map.Layout);
        var values = map.ToRegionPixels();
        var pixels = region.Pixels;
        for (int i = 0; i < values.Length; i++)
        {
            float w = float.IsNaN(values[i]) ? 0 : Math.Clamp(values[i], 0, 1);
            for (int c = 0; c < 3; c++)
                pixels[i * 3 + c] = (byte)Math.Round(pixels[i * 3 + c] * w);
        }
        return region;
    }

    /// <summary>The map alone as a grey image (0 → black, 1 → white); NaN pixels are black.</summary>
    public static RgbImage Grey(PatchMap map)
    {
        var values = map.ToRegionPixels();
        var pixels = new byte[values.Length * 3];
        for (int i = 0; i < values.Length; i++)
        {
            byte v = float.IsNaN(values[i]) ? (byte)0 : (byte)Math.Round(Math.Clamp(values[i], 0, 1) * 255);
            pixels[i * 3] = pixels[i * 3 + 1] = pixels[i * 3 + 2] = v;
        }
        return new RgbImage(map.Layout.RegionWidth, map.Layout.RegionHeight, pixels);
    }

    /// <summary>The comparison panel: the analysed region, then one overlay per (normalised) map, side by
    /// side.</summary>
    public static RgbImage ComparisonPanel(
        RgbImage image,
        IReadOnlyList<PatchMap> maps,
        Colormap colormap,
        float alpha = 0.45f
    )
    {
        if (maps.Count == 0)
            throw new ArgumentException("A comparison panel needs at least one map.", nameof(maps));
        return Panel([Region(image, maps[0].Layout), .. maps.Select(m => Overlay(image, m, colormap, alpha))]);
    }

    /// <summary>Tiles side by side, top-aligned, on white with a gap.</summary>
    public static RgbImage Panel(IReadOnlyList<RgbImage> tiles, int gap = 8)
    {
        if (tiles.Count == 0)
            throw new ArgumentException("A panel needs at least one image.", nameof(tiles));
        int width = tiles.Sum(t => t.Width) + gap * (tiles.Count - 1),
            height = tiles.Max(t => t.Height);
        var pixels = new byte[width * height * 3];
        Array.Fill(pixels, (byte)255);
        int x0 = 0;
        foreach (var tile in tiles)
        {
            for (int y = 0; y < tile.Height; y++)
                Array.Copy(tile.Pixels, y * tile.Width * 3, pixels, (y * width + x0) * 3, tile.Width * 3);
            x0 += tile.Width + gap;
        }
        return new RgbImage(width, height, pixels);
    }

    private static void CheckFits(RgbImage image, BagLayout layout)
    {
        if (!layout.RegionFits(image.Width, image.Height))
            throw new ArgumentException(
                $"The map's region ({layout.RegionWidth}x{layout.RegionHeight} at "
                    + $"{layout.RegionX},{layout.RegionY}) does not fit a "
                    + $"{image.Width}x{image.Height} image; render on the image the model scored (after any resize "
                    + "or padding)."
            );
    }

    private static byte Blend(byte under, byte over, float alpha) =>
        (byte)Math.Round(under * (1 - alpha) + over * alpha);
}
