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

    /// <summary>Writes the image as three planes (red, green, blue) of 0…255 floats into <paramref name="planes"/>:
    /// the input of <c>PatchFeatureExtractor.Extract</c> with a to-byte scale of 1.</summary>
    /// <exception cref="ArgumentException"><paramref name="planes"/> is not 3 × width × height long.</exception>
    public void CopyPlanes(Span<float> planes)
    {
        int plane = Width * Height;
        if (planes.Length != 3 * plane)
            throw new ArgumentException(
                $"The planes need 3 × {Width} × {Height} = {3 * plane} values (got {planes.Length}).",
                nameof(planes)
            );
        for (int i = 0; i < plane; i++)
        {
            planes[i] = Pixels[3 * i];
            planes[i + plane] = Pixels[3 * i + 1];
            planes[i + 2 * plane] = Pixels[3 * i + 2];
        }
    }
}
