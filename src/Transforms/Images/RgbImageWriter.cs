using SkiaSharp;

namespace Amil.MLNet.Transforms.Images;

/// <summary>Writes <see cref="RgbImage"/>s as PNG or TIFF, atomically (written beside, then renamed over), so no
/// half-written image is left.</summary>
public static class RgbImageWriter
{
    /// <summary>Writes a lossless PNG.</summary>
    public static void WritePng(string path, RgbImage image) =>
        Atomic(path, temp => File.WriteAllBytes(temp, Encode(image, SKEncodedImageFormat.Png, 100)));

    /// <summary>JPEG bytes (for embedding previews in reports).</summary>
    public static byte[] EncodeJpeg(RgbImage image, int quality = 85) =>
        Encode(image, SKEncodedImageFormat.Jpeg, quality);

    private static byte[] Encode(RgbImage image, SKEncodedImageFormat format, int quality)
    {
        using var bitmap = SkiaPixels.ToBitmap(image);
        using var data = bitmap.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>Writes an uncompressed RGB TIFF.</summary>
    public static void WriteTiff(string path, RgbImage image) => Atomic(path, temp => TiffCodec.Write(temp, image));

    private static void Atomic(string path, Action<string> write)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.Write(path, write);
    }
}
