using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Images;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Stripped (non-tiled) TIFFs read as slides region by region: the same pixels as the same slide stored in
/// tiles, at every level and across strip and band edges, with tissue and tiles alike.</summary>
public sealed class StrippedSlideTests
{
    /// <summary>A lossless pattern that differs at every pixel and level.</summary>
    private static RgbImage Pattern(int downsample, int x, int y, int w, int h)
    {
        var pixels = new byte[w * h * 3];
        for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++)
        {
            int i = (r * w + c) * 3,
                X = (x + c) * downsample,
                Y = (y + r) * downsample;
            bool tissue = Math.Pow(X - 700.0, 2) / 4e5 + Math.Pow(Y - 300.0, 2) / 6e4 < 1;
            pixels[i] = (byte)(tissue ? 200 + (X + Y) % 40 : 240 + X % 7);
            pixels[i + 1] = (byte)(tissue ? 80 + (X * 3) % 60 : 240 + Y % 9);
            pixels[i + 2] = (byte)(tissue ? 160 + Y % 50 : 241);
        }
        return new RgbImage(w, h, pixels);
    }

    private static (string Tiled, string Stripped) Write(int rowsPerStrip, int levels = 2)
    {
        var folder = TestTemp.Folder("stripped").FullName;
        var settings = new PyramidSettings
        {
            Levels = levels,
            Compression = TileCompression.Lzw,
            MicronsPerPixel = 0.5,
        };
        string tiled = Path.Combine(folder, "tiled.tif"),
            stripped = Path.Combine(folder, "stripped.tif");
        PyramidalTiff.Write(tiled, 1400, 601, Pattern, settings);
        PyramidalTiff.Write(stripped, 1400, 601, Pattern, settings with { RowsPerStrip = rowsPerStrip });
        return (tiled, stripped);
    }

    [Theory]
    [InlineData(5)] // many strips to a band, the last one short
    [InlineData(16)]
    [InlineData(700)] // one strip holds the whole level
    public void AStrippedSlideReadsTheSamePixelsAsTheTiledOne(int rowsPerStrip)
    {
        var (tiledPath, strippedPath) = Write(rowsPerStrip);
        using var tiled = SlideImage.Open(tiledPath);
        using var stripped = SlideImage.Open(strippedPath);

        Assert.Equal(tiled.Levels.Count, stripped.Levels.Count);
        Assert.All(stripped.Levels, l => Assert.True(l.Stripped));
        Assert.Equal(0.5, stripped.Properties.MicronsPerPixel!.Value, 6);
        (int Level, int X, int Y, int W, int H)[] regions =
        [
            (0, 0, 0, 1400, 601),
            (0, 333, 60, 224, 224), // across band edges
            (0, 1300, 560, 224, 224), // past the corner: white
            (0, -50, -20, 100, 100),
            (1, 10, 7, 300, 140),
        ];
        foreach (var (level, x, y, w, h) in regions)
            Assert.Equal(tiled.ReadRegion(level, x, y, w, h).Pixels, stripped.ReadRegion(level, x, y, w, h).Pixels);

        var tissue = TissueMap.Detect(stripped);
        var settings = new TilingSettings { TileSize = 112 };
        Assert.Equal(
            SlideTiling.Plan(tiled, TissueMap.Detect(tiled), settings).Select(t => (t.X, t.Y)),
            SlideTiling.Plan(stripped, tissue, settings).Select(t => (t.X, t.Y))
        );
        Assert.InRange(tissue.TissueFraction, 0.2, 0.8);
    }

    [Fact]
    public void AJpegStrippedSingleLevelSlideOpensAndASmallPhotoStaysAnImage()
    {
        var folder = TestTemp.Folder("stripped-jpeg").FullName;
        var path = Path.Combine(folder, "scan.tif");
        PyramidalTiff.Write(path, 1400, 601, Pattern, new PyramidSettings { Levels = 1, RowsPerStrip = 16 });
        using var slide = SlideImage.Open(path);
        var region = slide.ReadRegion(0, 600, 250, 64, 64);
        var exact = Pattern(1, 600, 250, 64, 64);
        double error = region.Pixels.Zip(exact.Pixels).Average(p => Math.Abs(p.First - p.Second));
        Assert.InRange(error, 0, 4); // JPEG: close, not equal

        Assert.Throws<ArgumentException>(() =>
            PyramidalTiff.Write(path, 64, 64, Pattern, new PyramidSettings { RowsPerStrip = 10 })
        );
        var photo = Path.Combine(folder, "photo.tif");
        RgbImageWriter.WriteTiff(photo, new RgbImage(64, 64, new byte[64 * 64 * 3]));
        Assert.False(SlideImage.IsWholeSlide(photo)); // a microscopy photo is still an image
        Assert.Contains(
            "is an image, but the model scores whole slides",
            Assert.Throws<ArgumentException>(() => Application.SlideScoring.SlideFiles(photo)).Message
        );
        Assert.Contains(
            "is an image",
            Assert.Throws<ArgumentException>(() => Application.SlideScoring.SlideFiles(path)).Message
        ); // one small stripped level: a photo
        var pyramid = Path.Combine(folder, "pyramid.tif");
        PyramidalTiff.Write(pyramid, 1400, 601, Pattern, new PyramidSettings { Levels = 2, RowsPerStrip = 16 });
        Assert.Equal([pyramid], Application.SlideScoring.SlideFiles(pyramid)); // reduced levels: a slide
    }
}
