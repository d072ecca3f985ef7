using SkiaSharp;

namespace Amil.MLNet.Transforms.Images;

/// <summary>High-quality resampling of <see cref="RgbImage"/> (SkiaSharp, cubic).</summary>
public static class ImageResizer
{
    /// <summary>The image resampled to <paramref name="width"/> × <paramref name="height"/>.</summary>
    public static RgbImage Resize(RgbImage image, int width, int height)
    {
        using var src = SkiaPixels.ToBitmap(image);
        using var dst =
            src.Resize(
                new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul),
                new SKSamplingOptions(SKCubicResampler.Mitchell)
            )
            ?? throw new InvalidOperationException(
                $"Could not resize a {image.Width}x{image.Height} image to {width}x{height}."
            );
        return SkiaPixels.FromRgba(width, height, dst.GetPixelSpan());
    }
}
