using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Maps.Metrics;

/// <summary>A ground-truth tumour mask (the convention: PNG, tumour where the value is above 127) at image
/// size.</summary>
public sealed class TumourMask
{
    public TumourMask(int width, int height, bool[] tumour)
    {
        if (tumour.Length != width * height)
            throw new ArgumentException($"A {width}x{height} mask needs {width * height} values.", nameof(tumour));
        Width = width;
        Height = height;
        Tumour = tumour;
    }

    public int Width { get; }
    public int Height { get; }
    public bool[] Tumour { get; }
    public bool HasTumour => Array.IndexOf(Tumour, true) >= 0;

    public static TumourMask Read(string path)
    {
        var image = RgbImageReader.Read(path);
        var tumour = new bool[image.Width * image.Height];
        for (int i = 0; i < tumour.Length; i++)
            tumour[i] = image.Pixels[i * 3] > 127;
        return new TumourMask(image.Width, image.Height, tumour);
    }

    /// <summary>The mask as the model saw its image: resized (nearest neighbour) and padded with non-tumour like the
    /// image.</summary>
    public TumourMask Prepared(ImageFrame frame)
    {
        var mask = this;
        if (frame.ResizeWidth > 0 && (Width != frame.ResizeWidth || Height != frame.ResizeHeight))
        {
            int w = frame.ResizeWidth,
                h = frame.ResizeHeight;
            var resized = new bool[w * h];
            for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                resized[y * w + x] = Tumour[
                    Math.Min(Height - 1, (int)((y + 0.5) * Height / h)) * Width
                        + Math.Min(Width - 1, (int)((x + 0.5) * Width / w))
                ];
            mask = new TumourMask(w, h, resized);
        }
        var (padded, pw, ph) = Raster.PadCentred(
            mask.Tumour,
            mask.Width,
            mask.Height,
            1,
            frame.Width,
            frame.Height,
            false
        );
        return padded == mask.Tumour ? mask : new TumourMask(pw, ph, padded);
    }

    /// <summary>Tumour share of each patch of the grid (0…1), in grid order.</summary>
    public float[] PatchTumourShare(BagLayout layout)
    {
        CheckFits(layout);
        var share = new float[layout.Count];
        for (int n = 0; n < layout.Count; n++)
        {
            var (x0, y0) = layout.Origin(n);
            int hits = 0;
            for (int y = y0; y < y0 + layout.PatchSize; y++)
            for (int x = x0; x < x0 + layout.PatchSize; x++)
                if (Tumour[y * Width + x])
                    hits++;
            share[n] = hits / (float)(layout.PatchSize * layout.PatchSize);
        }
        return share;
    }

    /// <summary>The mask over the analysed region (row-major, RegionWidth × RegionHeight).</summary>
    public bool[] Region(BagLayout layout)
    {
        CheckFits(layout);
        return Raster.Crop(Tumour, Width, 1, layout.RegionX, layout.RegionY, layout.RegionWidth, layout.RegionHeight);
    }

    private void CheckFits(BagLayout layout)
    {
        if (!layout.RegionFits(Width, Height))
            throw new ArgumentException(
                $"The {Width}x{Height} mask does not cover the analysed region "
                    + $"({layout.RegionWidth}x{layout.RegionHeight} at "
                    + $"{layout.RegionX},{layout.RegionY}); the mask must have the image's size."
            );
    }
}
