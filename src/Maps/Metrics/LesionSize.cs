namespace Amil.MLNet.Maps.Metrics;

/// <summary>CAMELYON's size classes of a metastasis, by its longest diameter.</summary>
public enum LesionSize
{
    /// <summary>Isolated tumour cells: under 0.2 mm. CAMELYON16's FROC counts a detection in one neither as a hit
    /// nor as a false positive, and does not count a missed one.</summary>
    IsolatedTumourCells,

    /// <summary>Micro-metastasis: 0.2 to 2 mm.</summary>
    Micro,

    /// <summary>Macro-metastasis: over 2 mm.</summary>
    Macro,
}

/// <summary>Sizing lesions of a tumour mask.</summary>
public static class LesionSizes
{
    /// <summary>The class of a lesion whose longest diameter is this many micrometres.</summary>
    public static LesionSize Of(double longestDiameterMicrons) =>
        longestDiameterMicrons < 200 ? LesionSize.IsolatedTumourCells
        : longestDiameterMicrons <= 2000 ? LesionSize.Micro
        : LesionSize.Macro;

    /// <summary>The short name reports use: itc, micro, macro.</summary>
    public static string Name(LesionSize size) =>
        size switch
        {
            LesionSize.IsolatedTumourCells => "itc",
            LesionSize.Micro => "micro",
            _ => "macro",
        };

    /// <summary>
    /// The longest diameter (its greatest extent over 36 directions, 5° apart: within 0.1 % of the true one) of
    /// each labelled region of a mask, in the mask's pixels scaled by <paramref name="pixelWidth"/> and
    /// <paramref name="pixelHeight"/> (e.g. µm per mask pixel).
    /// </summary>
    /// <param name="labels">Per mask pixel, its region (0 to <paramref name="count"/> − 1) or a negative
    /// number.</param>
    public static double[] LongestDiameters(
        IReadOnlyList<int> labels,
        int width,
        int count,
        double pixelWidth,
        double pixelHeight
    )
    {
        const int directions = 36;
        var low = new double[count, directions];
        var high = new double[count, directions];
        for (int l = 0; l < count; l++)
        for (int d = 0; d < directions; d++)
            (low[l, d], high[l, d]) = (double.MaxValue, double.MinValue);
        var (cos, sin) = (new double[directions], new double[directions]);
        for (int d = 0; d < directions; d++)
            (cos[d], sin[d]) = (Math.Cos(d * Math.PI / directions), Math.Sin(d * Math.PI / directions));
        for (int i = 0; i < labels.Count; i++)
        {
            int l = labels[i];
            if (l < 0)
                continue;
            // The pixel's four corners, so that a one-pixel region is one pixel across.
            int px = i % width,
                py = i / width;
            for (int c = 0; c < 4; c++)
            {
                double x = (px + (c & 1)) * pixelWidth,
                    y = (py + (c >> 1)) * pixelHeight;
                for (int d = 0; d < directions; d++)
                {
                    double t = x * cos[d] + y * sin[d];
                    if (t < low[l, d])
                        low[l, d] = t;
                    if (t > high[l, d])
                        high[l, d] = t;
                }
            }
        }
        var longest = new double[count];
        for (int l = 0; l < count; l++)
        for (int d = 0; d < directions; d++)
            longest[l] = Math.Max(longest[l], high[l, d] - low[l, d]);
        return longest;
    }
}
