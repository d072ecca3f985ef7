namespace Amil.MLNet.Transforms.Images;

/// <summary>An 8-bit RGB image in row-major, interleaved (R, G, B) order.</summary>
public sealed class RgbImage
{
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

    public int Width { get; }
    public int Height { get; }
    public byte[] Pixels { get; }

    public byte this[int x, int y, int channel] => Pixels[(y * Width + x) * 3 + channel];
}
