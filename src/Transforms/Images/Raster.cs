namespace Amil.MLNet.Transforms.Images;

/// <summary>Row-major pixel planes of any element type (RGB bytes, mask booleans): the crop and the centred pad that
/// images, maps and masks all go through, so they line up pixel for pixel.</summary>
public static class Raster
{
    /// <summary>The <paramref name="w"/> × <paramref name="h"/> block at (<paramref name="x"/>,
    /// <paramref name="y"/>).</summary>
    public static T[] Crop<T>(T[] pixels, int width, int channels, int x, int y, int w, int h)
    {
        var block = new T[w * h * channels];
        for (int row = 0; row < h; row++)
            Array.Copy(pixels, ((y + row) * width + x) * channels, block, row * w * channels, w * channels);
        return block;
    }

    /// <summary>Centres the plane on at least <paramref name="minWidth"/> × <paramref name="minHeight"/>, filling the
    /// margin with <paramref name="fill"/>; returns the plane as it is when it is large enough.</summary>
    public static (T[] Pixels, int Width, int Height) PadCentred<T>(
        T[] pixels,
        int width,
        int height,
        int channels,
        int minWidth,
        int minHeight,
        T fill
    )
    {
        if (width >= minWidth && height >= minHeight)
            return (pixels, width, height);
        int w = Math.Max(minWidth, width),
            h = Math.Max(minHeight, height),
            ox = (w - width) / 2,
            oy = (h - height) / 2;
        var padded = new T[w * h * channels];
        Array.Fill(padded, fill);
        for (int row = 0; row < height; row++)
            Array.Copy(pixels, row * width * channels, padded, ((row + oy) * w + ox) * channels, width * channels);
        return (padded, w, h);
    }
}
