using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Persistence;

namespace Amil.MLNet.Slides;

/// <summary>Settings of <see cref="TissueMap.Detect"/>.</summary>
public sealed record TissueSettings
{
    /// <summary>Longer side of the map in pixels (the slide is averaged down to it). Default 1024.</summary>
    public int MapSide { get; init; } = 1024;

    /// <summary>Pieces of tissue smaller than this many level-0 pixels are dropped (dust, debris). Default 40,000
    /// (0.01 mm² at 0.5 µm/px).</summary>
    public long MinimumPiecePixels { get; init; } = 40_000;

    /// <summary>The saturation threshold is Otsu's but never below this (a slide of glass alone has no tissue to
    /// find). Default 0.05.</summary>
    public double MinimumSaturation { get; init; } = 0.05;
}

/// <summary>
/// Where the tissue is, on a small map of the slide: stained tissue is saturated, glass and background are grey or
/// white. The slide is averaged down tile by tile (never a whole level in memory), thresholded on saturation at
/// Otsu's level, holes inside tissue are filled and small pieces dropped.
/// </summary>
public sealed class TissueMap
{
    private TissueMap(RgbImage thumbnail, bool[] tissue, double downsample, double threshold)
    {
        Thumbnail = thumbnail;
        Tissue = tissue;
        Downsample = downsample;
        Threshold = threshold;
    }

    /// <summary>The slide averaged down to the map's size.</summary>
    public RgbImage Thumbnail { get; }

    /// <summary>Row-major, one per map pixel.</summary>
    public bool[] Tissue { get; }

    /// <summary>The map's width in pixels.</summary>
    public int Width => Thumbnail.Width;

    /// <summary>The map's height in pixels.</summary>
    public int Height => Thumbnail.Height;

    /// <summary>Level-0 pixels per map pixel.</summary>
    public double Downsample { get; }

    /// <summary>The saturation threshold used.</summary>
    public double Threshold { get; }

    /// <summary>Share of the map that is tissue.</summary>
    public double TissueFraction => Tissue.Count(t => t) / (double)Tissue.Length;

    /// <summary>Finds the tissue of a slide on a low-resolution copy of it (see <see cref="TissueSettings"/>).
    /// </summary>
    public static TissueMap Detect(SlideImage slide, TissueSettings? settings = null)
    {
        settings ??= new TissueSettings();
        if (settings.MapSide < 16)
            throw new ArgumentException($"The tissue map needs at least 16 pixels a side (got {settings.MapSide}).");
        double downsample = Math.Max(1.0, Math.Max(slide.Width, slide.Height) / (double)settings.MapSide);
        var thumbnail = AverageDown(slide, downsample);
        var saturation = new double[thumbnail.Width * thumbnail.Height];
        for (int i = 0; i < saturation.Length; i++)
        {
            int r = thumbnail.Pixels[3 * i],
                g = thumbnail.Pixels[3 * i + 1],
                b = thumbnail.Pixels[3 * i + 2];
            int max = Math.Max(r, Math.Max(g, b)),
                min = Math.Min(r, Math.Min(g, b));
            saturation[i] = max == 0 ? 0 : (max - min) / (double)max;
        }
        long minimum = (long)Math.Ceiling(settings.MinimumPiecePixels / (downsample * downsample));
        double threshold = Math.Max(settings.MinimumSaturation, Otsu(saturation));
        var tissue = Pieces(saturation, threshold, thumbnail.Width, thumbnail.Height, minimum);
        // Where nuclei are resolved on the map and the stain is strong, Otsu may split the tissue itself (nuclei from
        // stroma), and the speckle of nuclei left above it (many pixels, no piece) is dropped. Then the split that
        // matters lies below: glass against all tissue. A small biopsy found whole is no speckle and stays as found.
        if (tissue.Count(t => t) < 0.01 * tissue.Length && saturation.Count(s => s > threshold) >= 0.05 * tissue.Length)
        {
            double lower = Math.Max(settings.MinimumSaturation, Otsu([.. saturation.Where(s => s <= threshold)]));
            var retry = Pieces(saturation, lower, thumbnail.Width, thumbnail.Height, minimum);
            if (retry.Count(t => t) > tissue.Count(t => t))
                (tissue, threshold) = (retry, lower);
        }
        return new TissueMap(thumbnail, tissue, downsample, threshold);
    }

    private static bool[] Pieces(double[] saturation, double threshold, int width, int height, long minimum)
    {
        var tissue = saturation.Select(s => s > threshold).ToArray();
        FillHoles(tissue, width, height);
        DropSmallPieces(tissue, width, height, minimum);
        return tissue;
    }

    /// <summary>Share of tissue under a level-0 rectangle (map pixels whose centre falls inside it).</summary>
    public double Fraction(int x, int y, int width, int height)
    {
        int x0 = (int)Math.Floor(x / Downsample),
            y0 = (int)Math.Floor(y / Downsample),
            x1 = (int)Math.Ceiling((x + width) / Downsample),
            y1 = (int)Math.Ceiling((y + height) / Downsample);
        int inside = 0,
            total = 0;
        for (int my = Math.Max(0, y0); my < Math.Min(Height, y1); my++)
        for (int mx = Math.Max(0, x0); mx < Math.Min(Width, x1); mx++)
        {
            double cx = (mx + 0.5) * Downsample,
                cy = (my + 0.5) * Downsample;
            if (cx < x || cx >= x + width || cy < y || cy >= y + height)
                continue;
            total++;
            if (Tissue[my * Width + mx])
                inside++;
        }
        return total == 0 ? 0 : inside / (double)total;
    }

    /// <summary>The slide averaged over blocks of <paramref name="downsample"/> level-0 pixels, read in bands of the
    /// most detailed level that is not finer than needed.</summary>
    private static RgbImage AverageDown(SlideImage slide, double downsample)
    {
        int width = Math.Max(1, (int)Math.Round(slide.Width / downsample)),
            height = Math.Max(1, (int)Math.Round(slide.Height / downsample));
        int level = slide.BestLevel(downsample);
        var info = slide.Levels[level];
        double scale = downsample / info.Downsample; // level pixels per map pixel
        var sums = new double[width * height * 3];
        var counts = new int[width * height];
        int band = Math.Max(info.TileHeight, 256);
        for (int top = 0; top < info.Height; top += band)
        {
            int rows = Math.Min(band, info.Height - top);
            var strip = slide.ReadRegion(level, 0, top, info.Width, rows);
            for (int y = 0; y < rows; y++)
            {
                int my = Math.Min(height - 1, (int)((top + y) / scale));
                for (int x = 0; x < info.Width; x++)
                {
                    int mx = Math.Min(width - 1, (int)(x / scale)),
                        m = my * width + mx,
                        p = (y * info.Width + x) * 3;
                    sums[3 * m] += strip.Pixels[p];
                    sums[3 * m + 1] += strip.Pixels[p + 1];
                    sums[3 * m + 2] += strip.Pixels[p + 2];
                    counts[m]++;
                }
            }
        }
        var pixels = new byte[width * height * 3];
        for (int m = 0; m < counts.Length; m++)
        for (int c = 0; c < 3; c++)
            pixels[3 * m + c] = counts[m] == 0 ? (byte)255 : (byte)Math.Round(sums[3 * m + c] / counts[m]);
        return new RgbImage(width, height, pixels);
    }

    /// <summary>Otsu's threshold of values in [0, 1] (256 bins): the split that maximises the between-class
    /// variance.</summary>
    internal static double Otsu(IReadOnlyList<double> values)
    {
        var histogram = new long[256];
        foreach (var v in values)
            histogram[Math.Clamp((int)(v * 255), 0, 255)]++;
        long total = values.Count;
        double sumAll = 0;
        for (int i = 0; i < 256; i++)
            sumAll += i * (double)histogram[i];
        double sumBelow = 0,
            best = -1;
        long below = 0;
        int split = 0;
        for (int i = 0; i < 256; i++)
        {
            below += histogram[i];
            if (below == 0)
                continue;
            long above = total - below;
            if (above == 0)
                break;
            sumBelow += i * (double)histogram[i];
            double meanBelow = sumBelow / below,
                meanAbove = (sumAll - sumBelow) / above;
            double between = (double)below * above * (meanBelow - meanAbove) * (meanBelow - meanAbove);
            if (between > best)
            {
                best = between;
                split = i;
            }
        }
        return (split + 0.5) / 255.0;
    }

    /// <summary>Background not connected to the map's border is a hole in tissue (a lumen, a tear): tissue.</summary>
    /// <summary>Background not connected to the border (4-connected) is a hole and becomes tissue.</summary>
    private static void FillHoles(bool[] tissue, int width, int height)
    {
        var background = Regions.Label(
            tissue.Select(t => !t).ToArray(),
            width,
            height,
            Connectivity.Four,
            out int count
        );
        var outside = new bool[count];
        for (int x = 0; x < width; x++)
            foreach (int i in new[] { x, (height - 1) * width + x })
                if (background[i] >= 0)
                    outside[background[i]] = true;
        for (int y = 0; y < height; y++)
            foreach (int i in new[] { y * width, y * width + width - 1 })
                if (background[i] >= 0)
                    outside[background[i]] = true;
        for (int i = 0; i < tissue.Length; i++)
            tissue[i] |= background[i] >= 0 && !outside[background[i]];
    }

    /// <summary>Tissue pieces (4-connected) under <paramref name="minimum"/> map pixels are dropped.</summary>
    private static void DropSmallPieces(bool[] tissue, int width, int height, long minimum)
    {
        var pieces = Regions.Label(tissue, width, height, Connectivity.Four, out int count);
        var sizes = new long[count];
        foreach (int piece in pieces)
            if (piece >= 0)
                sizes[piece]++;
        for (int i = 0; i < tissue.Length; i++)
            if (pieces[i] >= 0 && sizes[pieces[i]] < minimum)
                tissue[i] = false;
    }
}
