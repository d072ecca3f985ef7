using SkiaSharp;

namespace Amil.MLNet.Transforms.Images;

/// <summary>Decodes image files (PNG, JPEG, TIFF, BMP, WebP, GIF) into <see cref="RgbImage"/>; grayscale, 16-bit and
/// alpha are flattened to 8-bit RGB. The format is recognised from the file's bytes, not its extension.</summary>
public static class RgbImageReader
{
    /// <summary>Decodes the image file at <paramref name="path"/>.</summary>
    /// <exception cref="ImageReadException">The file is missing, unreadable, not an image or too large.</exception>
    public static RgbImage Read(string path)
    {
        if (IsTiff(path))
            return TiffCodec.Read(path);
        using var codec = OpenCodec(path);
        return Decode(codec, path);
    }

    /// <summary>Decodes an encoded image held in memory (e.g. a column from ML.NET's <c>LoadRawImageBytes</c>);
    /// <paramref name="name"/> names it in messages.</summary>
    public static RgbImage Decode(byte[] bytes, string name = "image")
    {
        if (bytes.Length == 0)
            throw new ImageReadException(name, "no image data (0 bytes).");
        if (TiffCodec.IsTiff(bytes))
            return TiffCodec.Decode(bytes, name);
        using var stream = new SKMemoryStream(bytes);
        using var codec =
            SKCodec.Create(stream, out var result)
            ?? throw new ImageReadException(
                name,
                $"not a readable image ({result}); the data may be corrupt, truncated or not an image at all."
            );
        return Decode(codec, name);
    }

    private static RgbImage Decode(SKCodec codec, string path)
    {
        CheckDecodable(path, codec.Info.Width, codec.Info.Height);
        var target = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(target);
        var status = codec.GetPixels(target, bitmap.GetPixels());
        if (status is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
            throw new ImageReadException(path, $"could not decode pixels ({status}); the file may be corrupt.");
        if (status == SKCodecResult.IncompleteInput)
            throw new ImageReadException(
                path,
                "file is truncated (incomplete image data); re-copy it from the source."
            );
        return SkiaPixels.FromRgba(bitmap.Width, bitmap.Height, bitmap.GetPixelSpan());
    }

    /// <summary>Width and height from the file header, without decoding pixels (cheap: used to screen whole
    /// datasets).</summary>
    public static (int Width, int Height) ReadSize(string path)
    {
        if (IsTiff(path))
            return TiffCodec.ReadSize(path);
        using var codec = OpenCodec(path);
        return (codec.Info.Width, codec.Info.Height);
    }

    /// <summary>Largest image decoded whole (2^28 pixels, e.g. 16384×16384): beyond it one image's buffers outgrow .NET
    /// arrays (and a corrupt header often claims such sizes).</summary>
    public const long MaxPixels = 1L << 28;

    internal static void CheckDecodable(string path, int width, int height)
    {
        if ((long)width * height > MaxPixels)
            throw new ImageReadException(
                path,
                $"image is {height}x{width} (HxW), over the {MaxPixels:N0} pixels decoded whole; "
                    + "downscale it first (whole-slide images need a tiled reader)."
            );
    }

    private static bool IsTiff(string path)
    {
        CheckFile(path);
        Span<byte> head = stackalloc byte[4];
        using var stream = File.OpenRead(path);
        return stream.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && TiffCodec.IsTiff(head);
    }

    private static void CheckFile(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new ImageReadException("(empty path)", "no image path was given.");
        if (!File.Exists(path))
            throw new ImageReadException(
                path,
                path.Contains('\uFFFD')
                    ? "the file name is not valid UTF-8 (\uFFFD stands for bytes that could not be decoded), and .NET "
                        + "on Linux opens files only by names it can decode, so the file cannot be read under this "
                        + "name; rename it to UTF-8 (for example `convmv -f latin1 -t utf8 --notest FILE`)."
                    : "file not found; check the path or the dataset root."
            );
        if (new FileInfo(path).Length == 0)
            throw new ImageReadException(path, "file is empty (0 bytes); re-copy or remove it.");
    }

    private static SKCodec OpenCodec(string path) =>
        SKCodec.Create(path, out var result)
        ?? throw new ImageReadException(
            path,
            $"not a readable image ({result}); the file may be corrupt, truncated or not an image at all "
                + "(supported: PNG, JPEG, TIFF, BMP, WebP, GIF)."
        );
}
