namespace Amil.MLNet.Transforms.Images;

/// <summary>An 8-bit RGB image in row-major, interleaved (R, G, B) order.</summary>
public sealed class RgbImage
{
    /// <summary>An image over <paramref name="pixels"/> (width × height × 3 bytes, not copied).</summary>
    public RgbImage(int width, int height, byte[] pixels)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), "Image size must be positive.");
        if (pixels.Length != width * height * 3)
            throw new ArgumentException(
                $"Expected {width * height * 3} bytes for a {width}x{height} RGB image, got {pixels.Length}.",
                nameof(pixels)
            );
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>R, G, B bytes, row by row.</summary>
    public byte[] Pixels { get; }

    /// <summary>Channel <paramref name="channel"/> (0 R, 1 G, 2 B) of pixel (<paramref name="x"/>, <paramref
    /// name="y"/>).</summary>
    public byte this[int x, int y, int channel] => Pixels[(y * Width + x) * 3 + channel];
}
