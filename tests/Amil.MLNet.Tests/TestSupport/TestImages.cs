using Amil.MLNet.Application;
using SkiaSharp;

namespace Amil.MLNet.Tests;

/// <summary>Small generated images for tests that need files on disk but no histology.</summary>
internal static class TestImages
{
    /// <summary>A noisy PNG; "dark" images have lower values than "light" ones, so two classes are learnable.</summary>
    public static void WritePng(string path, int width, int height, bool dark, int seed)
    {
        var random = new Random(seed);
        using var bitmap = new SKBitmap(width, height);
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            byte v = (byte)((dark ? 60 : 160) + random.Next(60));
            bitmap.SetPixel(x, y, new SKColor(v, (byte)(v / 2), v));
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>An image-folder dataset root/&lt;part&gt;/{dark,light}/*.png with the given images per class in each
    /// part ("" = no part folder).</summary>
    public static string ImageFolder(
        string root,
        int width = 140,
        int height = 112,
        params (string Part, int PerClass)[] parts
    )
    {
        int seed = 0;
        foreach (var (part, perClass) in parts.Length > 0 ? parts : [("", 6)])
        foreach (var label in new[] { "dark", "light" })
            for (int i = 0; i < perClass; i++)
                WritePng(Path.Combine(root, part, label, $"{label}-{i}.png"), width, height, label == "dark", seed++);
        return root;
    }

    /// <summary>Rows for an ML.NET pipeline over an image folder made by <see cref="ImageFolder"/>.</summary>
    public static List<ImageRow> Rows(string root) =>
        Directory
            .EnumerateFiles(root, "*.png", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(p => new ImageRow { ImagePath = p, Label = Path.GetFileName(Path.GetDirectoryName(p))! })
            .ToList();

    /// <summary>Keeps the first <paramref name="bytes"/> bytes of a file, as an interrupted copy would.</summary>
    public static void Truncate(string path, int bytes) => File.WriteAllBytes(path, File.ReadAllBytes(path)[..bytes]);
}
