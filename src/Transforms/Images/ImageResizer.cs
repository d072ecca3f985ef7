using SkiaSharp;

namespace Amil.MLNet.Transforms.Images;

/// <summary>High-quality resampling of <see cref="RgbImage"/> (SkiaSharp, cubic).</summary>
public static class ImageResizer
{
    public static RgbImage Resize(RgbImage image, int width, int height)
    {
        using var src = ToBitmap(image);
        using var dst = src.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul),
                                   new SKSamplingOptions(SKCubicResampler.Mitchell))
                        ?? throw new InvalidOperationException($"Could not resize a {image.Width}x{image.Height} image to {width}x{height}.");
        var rgba = dst.GetPixelSpan();
        var rgb = new byte[width * height * 3];
        for (int i = 0, j = 0; i < rgb.Length; i += 3, j += 4) { rgb[i] = rgba[j]; rgb[i + 1] = rgba[j + 1]; rgb[i + 2] = rgba[j + 2]; }
        return new RgbImage(width, height, rgb);
    }

    internal static SKBitmap ToBitmap(RgbImage image)
    {
        var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var span = bitmap.GetPixelSpan();
        unsafe
        {
            var dst = new Span<byte>((void*)bitmap.GetPixels(), span.Length);
            for (int i = 0, j = 0; i < image.Pixels.Length; i += 3, j += 4)
            {
                dst[j] = image.Pixels[i]; dst[j + 1] = image.Pixels[i + 1]; dst[j + 2] = image.Pixels[i + 2]; dst[j + 3] = 255;
            }
        }
        return bitmap;
    }
}
