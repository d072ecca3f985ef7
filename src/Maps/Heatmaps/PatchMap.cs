using Amil.MLNet.Transforms.Bagging;

namespace Amil.MLNet.Maps.Heatmaps;

/// <summary>One localization value per patch (attention weight or Grad-CAM), with the grid that places each patch on
/// the image.</summary>
public sealed class PatchMap
{
    public PatchMap(float[] values, BagLayout layout)
    {
        if (values.Length != layout.Count)
            throw new ArgumentException(
                $"A {layout.Rows}x{layout.Columns} patch grid needs {layout.Count} map values, got {values.Length}.",
                nameof(values)
            );
        Values = values;
        Layout = layout;
    }

    public float[] Values { get; }
    public BagLayout Layout { get; }

    /// <summary>The same grid with normalised values.</summary>
    public PatchMap Normalized(MapNormalization normalization) =>
        new(MapNormalizer.Apply(Values, normalization), Layout);

    /// <summary>
    /// Per-pixel values over the analysed region (RegionWidth × RegionHeight, row-major). A pixel covered by several
    /// patches (stride &lt; patch) gets their average; a pixel no patch covers (a margin the stride does not reach) is
    /// NaN.
    /// </summary>
    public float[] ToRegionPixels()
    {
        var l = Layout;
        int width = l.RegionWidth,
            height = l.RegionHeight;
        var sum = new double[width * height];
        var count = new int[width * height];
        for (int n = 0; n < l.Count; n++)
        {
            // Patch origins are in image coordinates; the region starts at (RegionX, RegionY).
            var (x0, y0) = l.Origin(n);
            x0 -= l.RegionX;
            y0 -= l.RegionY;
            for (int y = y0; y < y0 + l.PatchSize; y++)
            for (int x = x0; x < x0 + l.PatchSize; x++)
            {
                sum[y * width + x] += Values[n];
                count[y * width + x]++;
            }
        }
        var pixels = new float[width * height];
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = count[i] == 0 ? float.NaN : (float)(sum[i] / count[i]);
        return pixels;
    }
}
