using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Images;
using BitMiracle.LibTiff.Classic;
using SkiaSharp;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Every image format a user may bring decodes to the same 8-bit RGB, and every bad file is named.</summary>
public class ImageReaderTests
{
    private static readonly string Dir = TestTemp.Folder("amil-img-").FullName;

    private static string WriteTiff(
        string name,
        int bits,
        int samples,
        Photometric photometric,
        Func<int, int, int, int> value
    )
    {
        var path = Path.Combine(Dir, name);
        using (var tiff = Tiff.Open(path, "w"))
        {
            int w = 5,
                h = 3,
                bytes = bits / 8;
            tiff.SetField(TiffTag.IMAGEWIDTH, w);
            tiff.SetField(TiffTag.IMAGELENGTH, h);
            tiff.SetField(TiffTag.SAMPLESPERPIXEL, samples);
            tiff.SetField(TiffTag.BITSPERSAMPLE, bits);
            tiff.SetField(TiffTag.PHOTOMETRIC, photometric);
            tiff.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG);
            if (samples == 4)
                tiff.SetField(TiffTag.EXTRASAMPLES, 1, new short[] { (short)ExtraSample.UNASSALPHA });
            for (int y = 0; y < h; y++)
            {
                var row = new byte[w * samples * bytes];
                for (int x = 0; x < w; x++)
                for (int c = 0; c < samples; c++)
                {
                    int v = value(x, y, c),
                        at = (x * samples + c) * bytes;
                    if (bytes == 1)
                        row[at] = (byte)v;
                    else
                        BitConverter.TryWriteBytes(row.AsSpan(at), (ushort)v); // TIFF "II" files are little-endian
                }
                tiff.WriteScanline(row, y);
            }
        }
        return path;
    }

    [Fact]
    public void EightBitRgbTiffRoundTripsExactly()
    {
        var image = new RgbImage(4, 2, Enumerable.Range(0, 24).Select(i => (byte)(i * 10)).ToArray());
        var path = Path.Combine(Dir, "rgb.tif");
        RgbImageWriter.WriteTiff(path, image);
        var read = RgbImageReader.Read(path);
        Assert.Equal(image.Pixels, read.Pixels);
        Assert.Equal((4, 2), RgbImageReader.ReadSize(path));
    }

    [Fact]
    public void SixteenBitRgbTiffIsScaledToEightBits()
    {
        var path = WriteTiff(
            "rgb16.tif",
            16,
            3,
            Photometric.RGB,
            (x, y, c) =>
                c == 0 ? 65535
                : c == 1 ? 32896
                : 0
        );
        var image = RgbImageReader.Read(path);
        Assert.Equal((5, 3), (image.Width, image.Height));
        Assert.Equal(255, image[2, 1, 0]);
        Assert.InRange(image[2, 1, 1], 127, 129);
        Assert.Equal(0, image[2, 1, 2]);
    }

    [Fact]
    public void GrayscaleTiffBecomesGreyRgb()
    {
        var path = WriteTiff("gray.tif", 8, 1, Photometric.MINISBLACK, (x, y, c) => x * 50);
        var image = RgbImageReader.Read(path);
        Assert.Equal([150, 150, 150], new[] { image[3, 2, 0], image[3, 2, 1], image[3, 2, 2] });
    }

    [Fact]
    public void TransparentPixelsOfRgbaTiffAndPngAreCompositedOnWhite()
    {
        var tiff = WriteTiff("rgba.tif", 8, 4, Photometric.RGB, (x, y, c) => c == 3 ? (x == 0 ? 0 : 255) : 20);
        var fromTiff = RgbImageReader.Read(tiff);
        Assert.Equal(255, fromTiff[0, 0, 1]);
        Assert.Equal(20, fromTiff[1, 0, 1]);

        var png = Path.Combine(Dir, "rgba.png");
        using (var bitmap = new SKBitmap(new SKImageInfo(2, 1, SKColorType.Rgba8888, SKAlphaType.Unpremul)))
        {
            bitmap.SetPixel(0, 0, new SKColor(20, 20, 20, 0));
            bitmap.SetPixel(1, 0, new SKColor(20, 20, 20, 255));
            using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(png, data.ToArray());
        }
        var fromPng = RgbImageReader.Read(png);
        Assert.Equal(255, fromPng[0, 0, 0]);
        Assert.Equal(20, fromPng[1, 0, 0]);
    }

    [Fact]
    public void GrayscalePngBecomesGreyRgb()
    {
        var path = Path.Combine(Dir, "gray.png");
        using (var bitmap = new SKBitmap(new SKImageInfo(3, 1, SKColorType.Gray8, SKAlphaType.Opaque)))
        {
            bitmap.SetPixel(1, 0, new SKColor(90, 90, 90));
            using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(path, data.ToArray());
        }
        var image = RgbImageReader.Read(path);
        Assert.Equal([90, 90, 90], new[] { image[1, 0, 0], image[1, 0, 1], image[1, 0, 2] });
    }

    [Fact]
    public void FormatComesFromTheBytesNotTheExtension()
    {
        var path = Path.Combine(Dir, "really-a-tiff.png");
        RgbImageWriter.WriteTiff(path, new RgbImage(2, 2, new byte[12]));
        Assert.Equal(2, RgbImageReader.Read(path).Width);
    }

    [Fact]
    public void BadFilesAreNamedWithTheProblem()
    {
        var empty = Path.Combine(Dir, "empty.png");
        File.WriteAllBytes(empty, []);
        var text = Path.Combine(Dir, "notes.png");
        File.WriteAllText(text, "not an image at all");
        var good = Path.Combine(Dir, "good.tif");
        RgbImageWriter.WriteTiff(good, new RgbImage(64, 64, new byte[64 * 64 * 3]));
        var truncated = Path.Combine(Dir, "truncated.tif");
        File.WriteAllBytes(truncated, File.ReadAllBytes(good)[..200]);

        Assert.Contains("empty (0 bytes)", Assert.Throws<ImageReadException>(() => RgbImageReader.Read(empty)).Message);
        Assert.StartsWith(text, Assert.Throws<ImageReadException>(() => RgbImageReader.Read(text)).Message);
        var e = Assert.Throws<ImageReadException>(() => RgbImageReader.Read(truncated));
        Assert.StartsWith(truncated, e.Message);
        Assert.Contains(
            "not found",
            Assert.Throws<ImageReadException>(() => RgbImageReader.Read(Path.Combine(Dir, "missing.png"))).Message
        );
    }

    [Fact]
    public void ScreeningSkipsAndCountsBadFilesOrStopsNamingThemAll()
    {
        var folder = TestTemp.Folder("amil-screen-").FullName;
        string Good(string name, int size)
        {
            var path = Path.Combine(folder, name);
            var noise = new byte[size * size * 3];
            new Random(size).NextBytes(noise); // noise does not compress, so a cut-off copy really lacks pixel rows
            RgbImageWriter.WritePng(path, new RgbImage(size, size, noise));
            return path;
        }
        var ok = Good("ok.png", 64);
        var small = Good("small.png", 20);
        var empty = Path.Combine(folder, "empty.png");
        File.WriteAllBytes(empty, []);
        var truncated = Path.Combine(folder, "truncated.png");
        File.WriteAllBytes(truncated, File.ReadAllBytes(Good("big.png", 300))[..2000]);
        var records = new[] { ok, small, empty, truncated }.Select(p => new ImageRecord(p, "a")).ToList();
        var bagging = new PatchBaggingOptions { CropHeight = 56, CropWidth = 56 };

        var skipped = new List<SkippedImage>();
        var kept = ImageScreening.Screen(records, bagging, BadImagePolicy.Skip, skipped);
        Assert.Equal([ok], kept.Select(r => r.Path));
        Assert.Equal(3, skipped.Count);
        Assert.Contains("smaller", skipped.Single(s => s.Path == small).Reason);
        Assert.Contains("empty", skipped.Single(s => s.Path == empty).Reason);
        Assert.Contains(skipped, s => s.Path == truncated);

        var error = Assert.Throws<DatasetException>(() =>
            ImageScreening.Screen(records, bagging, BadImagePolicy.Error, new List<SkippedImage>())
        );
        Assert.Contains(small, error.Message);
        Assert.Contains(empty, error.Message);
        Assert.Contains("--on-bad-image skip", error.Message);
    }
}
