using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Maps.Heatmaps;

/// <summary>One overlay of a labelled panel: the map and the lines that say what it is (method, class, p).</summary>
public sealed record PanelMap(PatchMap Map, IReadOnlyList<string> Caption);

/// <summary>Labelled comparison panels: each tile captioned, and a colour scale on the right, so a panel read on its
/// own says what it shows.</summary>
public static class HeatmapPanel
{
    private static readonly (byte, byte, byte) Ink = (0, 0, 0);
    private const int Margin = 6;

    /// <summary>The analysed region captioned with <paramref name="imageCaption"/>, then each map's overlay with its
    /// caption, then the colour scale of <paramref name="colormap"/> labelled with what its ends mean.</summary>
    public static RgbImage Render(
        RgbImage image,
        IReadOnlyList<string> imageCaption,
        IReadOnlyList<PanelMap> maps,
        Colormap colormap,
        IReadOnlyList<string> scaleTitle,
        float alpha = 0.45f
    )
    {
        if (maps.Count == 0)
            throw new ArgumentException("A panel needs at least one map.", nameof(maps));
        int lines = Math.Max(imageCaption.Count, maps.Max(m => m.Caption.Count));
        var region = HeatmapRenderer.Region(image, maps[0].Map.Layout);
        int scale = TextScaleFor(region.Width);
        var tiles = new List<RgbImage> { Captioned(region, imageCaption, lines, scale) };
        tiles.AddRange(
            maps.Select(m => Captioned(HeatmapRenderer.Overlay(image, m.Map, colormap, alpha), m.Caption, lines, scale))
        );
        tiles.Add(ColourScale(colormap, region.Height, CaptionHeight(lines, scale), scaleTitle, scale));
        return HeatmapRenderer.Panel(tiles);
    }

    /// <summary>The tile below a white strip holding <paramref name="caption"/> (room for <paramref name="lines"/>
    /// lines, so tiles side by side line up); lines too long for the tile are cut with "..".</summary>
    public static RgbImage Captioned(RgbImage tile, IReadOnlyList<string> caption, int lines, int scale)
    {
        int top = CaptionHeight(lines, scale);
        var result = Blank(tile.Width, tile.Height + top);
        Array.Copy(tile.Pixels, 0, result.Pixels, top * tile.Width * 3, tile.Pixels.Length);
        for (int i = 0; i < caption.Count; i++)
            PixelFont.Draw(
                result,
                Margin,
                Margin + i * LineHeight(scale),
                Fit(caption[i], tile.Width - 2 * Margin, scale),
                scale,
                Ink
            );
        return result;
    }

    /// <summary>A vertical colour bar (high values on top) with "1.0" and "0.0" at its ends, titled above.</summary>
    public static RgbImage ColourScale(
        Colormap colormap,
        int barHeight,
        int top,
        IReadOnlyList<string> title,
        int scale
    )
    {
        int barWidth = 9 * scale;
        int labelWidth = PixelFont.Measure("1.0", scale);
        int width = Math.Max(barWidth + Margin + labelWidth, title.Max(t => PixelFont.Measure(t, scale))) + Margin;
        var result = Blank(width, Math.Max(top, CaptionHeight(title.Count, scale)) + barHeight);
        top = result.Height - barHeight;
        for (int i = 0; i < title.Count; i++)
            PixelFont.Draw(result, 0, Margin + i * LineHeight(scale), title[i], scale, Ink);
        for (int y = 0; y < barHeight; y++)
        {
            var (r, g, b) = colormap[1f - y / (float)Math.Max(1, barHeight - 1)];
            for (int x = 0; x < barWidth; x++)
            {
                int i = ((top + y) * width + x) * 3;
                (result.Pixels[i], result.Pixels[i + 1], result.Pixels[i + 2]) = (r, g, b);
            }
        }
        PixelFont.Draw(result, barWidth + Margin, top, "1.0", scale, Ink);
        PixelFont.Draw(result, barWidth + Margin, top + barHeight - PixelFont.Height(scale), "0.0", scale, Ink);
        return result;
    }

    /// <summary>Pixels per font pixel: 2 on tiles wide enough for a 40-character line at that size, else 1.</summary>
    public static int TextScaleFor(int tileWidth) => tileWidth >= 480 ? 2 : 1;

    private static int LineHeight(int scale) => PixelFont.Height(scale) + 2 * scale;

    private static int CaptionHeight(int lines, int scale) =>
        lines == 0 ? 0 : 2 * Margin + lines * LineHeight(scale) - 2 * scale;

    private static string Fit(string text, int width, int scale)
    {
        if (PixelFont.Measure(text, scale) <= width)
            return text;
        int chars = Math.Max(0, (width / scale + 1) / (PixelFont.GlyphWidth + 1) - 2);
        return text[..Math.Min(chars, text.Length)] + "..";
    }

    private static RgbImage Blank(int width, int height)
    {
        var pixels = new byte[width * height * 3];
        Array.Fill(pixels, (byte)255);
        return new RgbImage(width, height, pixels);
    }
}
