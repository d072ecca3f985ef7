using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Slides;

/// <summary>A tile's quality measures, at the tiling scale: its detail (mean absolute Laplacian of the grey tissue
/// pixels), the shares of pen-ink and glass pixels, and how bright its brightest tissue (the stroma between nuclei)
/// is.</summary>
public sealed class TileQuality(double detail, double penShare, double glassShare, double stromaGrey)
{
    /// <summary>The grey levels of the tissue pixels that are not ink, counted per level (256 bins).</summary>
    internal int[] TissueGreys { get; private init; } = [];

    /// <summary>Share of the tissue pixels whose grey lies in [<paramref name="low"/>,
    /// <paramref name="high"/>).</summary>
    internal double ShareBetween(double low, double high)
    {
        long total = TissueGreys.Sum(c => (long)c),
            inside = 0;
        for (int v = Math.Max(0, (int)Math.Ceiling(low)); v < Math.Min(256, high); v++)
            inside += TissueGreys[v];
        return total == 0 ? 0 : inside / (double)total;
    }

    /// <summary>Mean absolute Laplacian of the grey tissue pixels (0–1020): nuclei edges give detail. NaN for a
    /// tile without tissue inside it (no detail to judge).</summary>
    public double Detail { get; } = detail;

    /// <summary>Share of the tile's pixels that are pen ink.</summary>
    public double PenShare { get; } = penShare;

    /// <summary>Share of the tile's pixels that are glass.</summary>
    public double GlassShare { get; } = glassShare;

    /// <summary>The 90th percentile grey level (0–255) of the tile's tissue pixels (ink left out), its stroma: dense
    /// nuclei leave it, a fold darkens it (255 when the tile has no such tissue).</summary>
    public double StromaGrey { get; } = stromaGrey;

    /// <summary>Measures one tile.</summary>
    public static TileQuality Measure(RgbImage tile)
    {
        int w = tile.Width,
            h = tile.Height;
        var p = tile.Pixels;
        var grey = new float[w * h];
        var glass = new bool[w * h];
        int pen = 0,
            glassCount = 0;
        var histogram = new int[256];
        for (int i = 0; i < w * h; i++)
        {
            byte r = p[3 * i],
                g = p[3 * i + 1],
                b = p[3 * i + 2];
            grey[i] = 0.299f * r + 0.587f * g + 0.114f * b;
            glass[i] = IsGlass(r, g, b);
            bool ink = IsInk(r, g, b);
            if (glass[i])
                glassCount++;
            else if (!ink)
                histogram[(int)grey[i]]++; // the stain's greys: ink is no stroma
            if (ink)
                pen++;
        }
        return new TileQuality(
            DetailOf(grey, glass, w, h),
            pen / (double)(w * h),
            glassCount / (double)(w * h),
            Percentile90(histogram, histogram.Sum())
        )
        {
            TissueGreys = histogram,
        };
    }

    private static double Percentile90(int[] histogram, int count)
    {
        if (count == 0)
            return 255;
        long below = 0;
        for (int v = 0; v < 256; v++)
            if ((below += histogram[v]) >= 0.9 * count)
                return v;
        return 255;
    }

    /// <summary>Glass: bright and nearly grey.</summary>
    private static bool IsGlass(byte r, byte g, byte b)
    {
        int max = Math.Max(r, Math.Max(g, b)),
            min = Math.Min(r, Math.Min(g, b));
        return min > 200 && max - min < 0.12 * max;
    }

    /// <summary>Pen ink: green to cyan (60°–200°), a hue haematoxylin and eosin never take; blue (200°–235°) and
    /// light, where haematoxylin's blue-violet nuclei are dark; or near black and grey (no channel above 90,
    /// unsaturated, where a dark nucleus stays saturated).</summary>
    private static bool IsInk(byte r, byte g, byte b)
    {
        int max = Math.Max(r, Math.Max(g, b)),
            min = Math.Min(r, Math.Min(g, b));
        double saturation = max == 0 ? 0 : (max - min) / (double)max;
        if (max <= 90)
            return saturation < 0.35;
        if (saturation < 0.15)
            return false;
        double hue = Hue(r, g, b, max, min);
        return hue is >= 60 and <= 200 || (hue is > 200 and <= 235 && max > 150);
    }

    private static double Hue(int r, int g, int b, int max, int min)
    {
        double d = max - min;
        double hue =
            max == r ? 60 * ((g - b) / d)
            : max == g ? 60 * ((b - r) / d + 2)
            : 60 * ((r - g) / d + 4);
        return hue < 0 ? hue + 360 : hue;
    }

    /// <summary>Mean |4-neighbour Laplacian| over interior tissue pixels: nuclei edges give detail, blur removes
    /// it.</summary>
    private static double DetailOf(float[] grey, bool[] glass, int w, int h)
    {
        double sum = 0;
        long n = 0;
        for (int y = 1; y < h - 1; y++)
        for (int x = 1; x < w - 1; x++)
        {
            int i = y * w + x;
            if (glass[i])
                continue;
            sum += Math.Abs(4 * grey[i] - grey[i - 1] - grey[i + 1] - grey[i - w] - grey[i + w]);
            n++;
        }
        return n == 0 ? double.NaN : sum / n;
    }
}
