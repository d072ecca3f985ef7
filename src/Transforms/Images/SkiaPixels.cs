using SkiaSharp;

namespace Amil.MLNet.Transforms.Images;

/// <summary>Conversions between <see cref="RgbImage"/> and SkiaSharp's RGBA bitmaps, in one place.</summary>
public static class SkiaPixels
{
    /// <summary>An opaque RGBA bitmap of the image (for resizing and encoding).</summary>
    public static SKBitmap ToBitmap(RgbImage image)
    {
        var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var rgba = bitmap.GetPixelSpan();
        for (int i = 0, j = 0; i < image.Pixels.Length; i += 3, j += 4)
        {
            rgba[j] = image.Pixels[i];
            rgba[j + 1] = image.Pixels[i + 1];
            rgba[j + 2] = image.Pixels[i + 2];
            rgba[j + 3] = 255;
        }
        return bitmap;
    }

    /// <summary>An RGB image from unpremultiplied RGBA bytes; transparent areas are composited on white.</summary>
    public static RgbImage FromRgba(int width, int height, ReadOnlySpan<byte> rgba)
    {
        var rgb = new byte[width * height * 3];
        for (int i = 0, j = 0; i < rgb.Length; i += 3, j += 4)
        {
            int alpha = rgba[j + 3];
            rgb[i] = OnWhite(rgba[j], alpha);
            rgb[i + 1] = OnWhite(rgba[j + 1], alpha);
            rgb[i + 2] = OnWhite(rgba[j + 2], alpha);
        }
        return new RgbImage(width, height, rgb);
    }

    /// <summary>A channel value composited on white, the colour of an empty slide.</summary>
    /// <remarks>Infrastructure shared by the Amil.MLNet packages; not meant to be called from your code.</remarks>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public static byte OnWhite(int value, int alpha) => (byte)((value * alpha + 255 * (255 - alpha)) / 255);
}
