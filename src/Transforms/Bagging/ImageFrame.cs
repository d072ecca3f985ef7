using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Transforms.Bagging;

/// <summary>
/// How an image was prepared before its patches were cut: resized to ResizeWidth × ResizeHeight (0 = not resized),
/// then padded with white, centred, to Width × Height. Patch coordinates and the analysed region refer to this
/// prepared image, so a map is drawn on (or a mask compared with) the image after <see cref="Apply"/>.
/// </summary>
public readonly record struct ImageFrame(int ResizeWidth, int ResizeHeight, int Width, int Height)
{
    /// <summary>Ints in the encoded form (the <c>{bag}Frame</c> column).</summary>
    public const int EncodedLength = 4;

    /// <summary>The frame as the <c>{bag}Frame</c> column holds it.</summary>
    public int[] Encode() => [ResizeWidth, ResizeHeight, Width, Height];

    /// <summary>A frame from its <c>{bag}Frame</c> column value.</summary>
    public static ImageFrame Decode(ReadOnlySpan<int> v) =>
        v.Length == EncodedLength
            ? new ImageFrame(v[0], v[1], v[2], v[3])
            : throw new ArgumentException($"An image frame has {EncodedLength} values, got {v.Length}.");

    /// <summary>The prepared image: resized as the model resized it, then padded as it padded it.</summary>
    public RgbImage Apply(RgbImage image)
    {
        if (ResizeWidth > 0 && (image.Width != ResizeWidth || image.Height != ResizeHeight))
            image = ImageResizer.Resize(image, ResizeWidth, ResizeHeight);
        return image.Width >= Width && image.Height >= Height ? image : PadToAtLeast(image, Width, Height);
    }

    /// <summary>A point of the prepared image (where patch coordinates live) in the pixels of the original image
    /// of <paramref name="originalWidth"/> × <paramref name="originalHeight"/>: padding taken off, resizing
    /// undone.</summary>
    public (double X, double Y) ToOriginal(double x, double y, int originalWidth, int originalHeight)
    {
        int resizedWidth = ResizeWidth > 0 ? ResizeWidth : originalWidth,
            resizedHeight = ResizeHeight > 0 ? ResizeHeight : originalHeight;
        // The same offsets as the centred padding (Raster.PadCentred).
        int padX = (Math.Max(Width, resizedWidth) - resizedWidth) / 2,
            padY = (Math.Max(Height, resizedHeight) - resizedHeight) / 2;
        return ((x - padX) * originalWidth / (double)resizedWidth, (y - padY) * originalHeight / (double)resizedHeight);
    }

    internal static RgbImage PadToAtLeast(RgbImage image, int width, int height)
    {
        var (pixels, w, h) = Raster.PadCentred(image.Pixels, image.Width, image.Height, 3, width, height, (byte)255);
        return new RgbImage(w, h, pixels);
    }
}
