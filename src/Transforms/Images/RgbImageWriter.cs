using SkiaSharp;

namespace Amil.MLNet.Transforms.Images;

/// <summary>Writes <see cref="RgbImage"/>s as PNG or TIFF, atomically (written beside, then renamed over), so no half-written image is left.</summary>
public static class RgbImageWriter
{
    public static void WritePng(string path, RgbImage image) => Atomic(path, temp => File.WriteAllBytes(temp, Encode(image, SKEncodedImageFormat.Png, 100)));

    /// <summary>JPEG bytes (for embedding previews in reports).</summary>
    public static byte[] EncodeJpeg(RgbImage image, int quality = 85) => Encode(image, SKEncodedImageFormat.Jpeg, quality);

    private static byte[] Encode(RgbImage image, SKEncodedImageFormat format, int quality)
    {
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        var rgba = bitmap.GetPixelSpan();
        for (int i = 0, j = 0; i < image.Pixels.Length; i += 3, j += 4)
        {
            rgba[j] = image.Pixels[i];
            rgba[j + 1] = image.Pixels[i + 1];
            rgba[j + 2] = image.Pixels[i + 2];
            rgba[j + 3] = 255;
        }
        using var data = bitmap.Encode(format, quality);
        return data.ToArray();
    }

    public static void WriteTiff(string path, RgbImage image) => Atomic(path, temp => TiffCodec.Write(temp, image));

    private static void Atomic(string path, Action<string> write)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(path)}.tmp-{Environment.ProcessId}-{Environment.CurrentManagedThreadId}");
        try
        {
            write(temp);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
