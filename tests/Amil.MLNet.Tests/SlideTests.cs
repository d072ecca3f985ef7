using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Maps.Metrics;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Images;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Whole-slide images: tile-by-tile reading, scale, tissue detection, tiling, synthetic slides,
/// FROC.</summary>
public class SlideTests
{
    /// <summary>A pattern that differs from pixel to pixel, as a function of level-0 coordinates.</summary>
    private static (byte R, byte G, byte B) Pattern(int x, int y) =>
        ((byte)((x * 7 + y * 3) % 256), (byte)((x ^ y) % 256), (byte)((x / 3 + y * 5) % 256));

    private static RgbImage Render(
        int downsample,
        int x,
        int y,
        int width,
        int height,
        Func<int, int, (byte, byte, byte)> f
    )
    {
        var pixels = new byte[width * height * 3];
        for (int py = 0; py < height; py++)
        for (int px = 0; px < width; px++)
        {
            var (r, g, b) = f((x + px) * downsample, (y + py) * downsample);
            int o = (py * width + px) * 3;
            (pixels[o], pixels[o + 1], pixels[o + 2]) = (r, g, b);
        }
        return new RgbImage(width, height, pixels);
    }

    private static string WriteSlide(
        int width,
        int height,
        Func<int, int, (byte, byte, byte)> f,
        PyramidSettings settings,
        string name = "slide.tif"
    )
    {
        var path = Path.Combine(TestTemp.Folder("slide").FullName, name);
        PyramidalTiff.Write(path, width, height, (d, x, y, w, h) => Render(d, x, y, w, h, f), settings);
        return path;
    }

    [Fact]
    public void RegionsReadTileByTileAreThePixelsWritten()
    {
        var settings = new PyramidSettings
        {
            Levels = 3,
            LevelFactor = 2,
            TileSize = 128,
            Compression = TileCompression.Lzw,
        };
        var path = WriteSlide(600, 420, Pattern, settings);
        using var slide = SlideImage.Open(path);
        Assert.Equal(3, slide.Levels.Count);
        Assert.Equal((600, 420), (slide.Width, slide.Height));
        Assert.Equal([1.0, 2.0, 4.0], slide.Levels.Select(l => Math.Round(l.Downsample, 1)));
        Assert.Equal(
            (300, 210, 128, 128),
            (slide.Levels[1].Width, slide.Levels[1].Height, slide.Levels[1].TileWidth, slide.Levels[1].TileHeight)
        );

        foreach (
            var (level, x, y, w, h) in new[]
            {
                (0, 100, 50, 300, 200),
                (0, 0, 0, 600, 420),
                (1, 17, 99, 250, 100),
                (2, 0, 0, 150, 105),
            }
        )
        {
            int d = 1 << level;
            var region = slide.ReadRegion(level, x, y, w, h);
            var expected = Render(d, x, y, w, h, Pattern);
            Assert.Equal(expected.Pixels, region.Pixels);
        }
        // Outside the slide is white glass; inside, the pattern.
        var edge = slide.ReadRegion(0, 550, 400, 100, 50);
        Assert.Equal(Pattern(560, 410), (edge[10, 10, 0], edge[10, 10, 1], edge[10, 10, 2]));
        Assert.Equal((255, 255, 255), ((int)edge[60, 10, 0], (int)edge[60, 10, 1], (int)edge[60, 10, 2]));
        Assert.Equal((255, 255, 255), ((int)edge[10, 30, 0], (int)edge[10, 30, 1], (int)edge[10, 30, 2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => slide.ReadRegion(3, 0, 0, 10, 10));
    }

    [Fact]
    public void JpegTilesDecodeCloseToWhatWasWritten()
    {
        (byte, byte, byte) Smooth(int x, int y) =>
            ((byte)(x / 4 % 256), (byte)(y / 4 % 256), (byte)(128 + (x + y) / 16 % 100));
        var path = WriteSlide(700, 500, Smooth, new PyramidSettings { Levels = 2, TileSize = 256 });
        using var slide = SlideImage.Open(path);
        var region = slide.ReadRegion(0, 200, 150, 400, 300);
        var expected = Render(1, 200, 150, 400, 300, Smooth);
        double error = region.Pixels.Zip(expected.Pixels, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(error < 3, $"mean absolute error {error:F2} of 255");
    }

    [Fact]
    public void ScaleComesFromTheAperioHeaderOrTheResolutionTagsAndCanBeOverridden()
    {
        var aperio = WriteSlide(
            512,
            512,
            Pattern,
            new PyramidSettings
            {
                Levels = 2,
                Description =
                    "Aperio Image Library v12.0.15\r\n512x512 (256x256) JPEG/RGB Q=70|AppMag = 20|MPP = 0.4990",
            },
            "a.svs"
        );
        using (var slide = SlideImage.Open(aperio))
            Assert.Equal(new SlideProperties("aperio", 0.499, 20), slide.Properties);
        using (var slide = SlideImage.Open(aperio, new SlideScale(0.25, 40)))
            Assert.Equal(new SlideProperties("aperio", 0.25, 40), slide.Properties);

        var tagged = WriteSlide(512, 512, Pattern, new PyramidSettings { Levels = 1, MicronsPerPixel = 0.5 });
        using (var slide = SlideImage.Open(tagged))
        {
            Assert.Equal("tiff", slide.Properties.Vendor);
            Assert.Equal(0.5, slide.Properties.MicronsPerPixel!.Value, 6);
            Assert.Null(slide.Properties.ObjectivePower);
        }
        Assert.Null(SlideProperties.FromAperio("ImageJ=1.5"));
        Assert.Equal(25_400 / 1000.0, SlideProperties.MicronsFromResolution(1000, 2)!.Value, 9);
        Assert.Null(SlideProperties.MicronsFromResolution(1000, 1));
    }

    /// <summary>The generated slide both readers can open: OpenSlide reads any tiled pyramidal TIFF
    /// ("generic-tiff"), and LZW tiles decode exactly in both.</summary>
    private static string WriteGenericSlide() =>
        WriteSlide(
            600,
            420,
            Pattern,
            new PyramidSettings
            {
                Levels = 3,
                LevelFactor = 2,
                TileSize = 128,
                Compression = TileCompression.Lzw,
            },
            "generic.tif"
        );

    [SkippableFact]
    public void OpenSlideReadsTheSamePixelsLevelsAndScaleAsLibTiff()
    {
        // CI installs libopenslide0 (.ci/run); the quick start needs nothing but the SDK, so without the library this
        // comparison cannot run and must be reported as skipped rather than passed.
        Skip.IfNot(
            OpenSlideFile.IsAvailable,
            "libopenslide is not installed (Debian/Ubuntu: apt-get install libopenslide0), so there is nothing to "
                + "compare LibTiff with"
        );
        var path = WriteGenericSlide();
        using var tiff = SlideImage.Open(path);
        using var openSlide = SlideImage.Open(path, new SlideScale(MicronsPerPixel: 0.25), SlideReader.OpenSlide);
        Assert.Equal(SlideReader.OpenSlide, openSlide.Reader);
        Assert.Equal(SlideReader.LibTiff, tiff.Reader);
        Assert.Equal(
            tiff.Levels.Select(l => (l.Width, l.Height, Math.Round(l.Downsample, 3))),
            openSlide.Levels.Select(l => (l.Width, l.Height, Math.Round(l.Downsample, 3)))
        );
        Assert.Equal(0.25, openSlide.Properties.MicronsPerPixel);
        foreach (
            var (level, x, y, w, h) in new[] { (0, 100, 50, 300, 200), (1, 17, 99, 250, 100), (2, -10, 90, 60, 30) }
        )
            Assert.Equal(tiff.ReadRegion(level, x, y, w, h).Pixels, openSlide.ReadRegion(level, x, y, w, h).Pixels);
    }

    [Fact]
    public void AskingForOpenSlideWithoutTheLibrarySaysHowToInstallIt()
    {
        // Forces the library missing, so the message is checked on every machine, with or without libopenslide.
        var path = WriteGenericSlide();
        var installed = OpenSlideFile.LibraryNames;
        try
        {
            OpenSlideFile.LibraryNames = ["libopenslide-not-here.so.9"];
            var missing = Assert.Throws<ImageReadException>(() => SlideImage.Open(path, null, SlideReader.OpenSlide));
            Assert.Contains("apt-get install libopenslide0", missing.Message);
        }
        finally
        {
            OpenSlideFile.LibraryNames = installed;
        }
    }

    [Fact]
    public void WithoutOpenSlideVendorFormatsSayWhatToInstall()
    {
        var folder = TestTemp.Folder("no-openslide").FullName;
        var ndpi = Path.Combine(folder, "scan.ndpi");
        File.WriteAllBytes(ndpi, [1, 2, 3]);
        var installed = OpenSlideFile.LibraryNames;
        try
        {
            OpenSlideFile.LibraryNames = ["libopenslide-not-here.so.9"];
            var e = Assert.Throws<ImageReadException>(() => SlideImage.Open(ndpi));
            Assert.Contains("apt-get install libopenslide0", e.Message);
            Assert.Contains("vips tiffsave", e.Message);
        }
        finally
        {
            OpenSlideFile.LibraryNames = installed;
        }
    }

    [Fact]
    public void RegionsJoinCornersOnlyWithEightConnectivity()
    {
        // x . x
        // . x .
        // x x .
        bool[] set = [true, false, true, false, true, false, true, true, false];
        var four = Regions.Label(set, 3, 3, Connectivity.Four, out int fourCount);
        var eight = Regions.Label(set, 3, 3, Connectivity.Eight, out int eightCount);
        // By edges: (0,0); (2,0); (1,1) with (1,2) below it and (0,2) beside that — numbered in scan order.
        Assert.Equal(3, fourCount);
        Assert.Equal([0, -1, 1, -1, 2, -1, 2, 2, -1], four.Select(l => l));
        Assert.Equal(1, eightCount);
        Assert.All(eight.Where((_, i) => set[i]), l => Assert.Equal(0, l));
        Assert.Throws<ArgumentException>(() => Regions.Label(set, 2, 2, Connectivity.Four, out _));
    }

    [Fact]
    public void FilesThatAreNoSlideSayWhatToDo()
    {
        var folder = TestTemp.Folder("notslide").FullName;
        var ndpi = Path.Combine(folder, "scan.ndpi");
        File.WriteAllBytes(ndpi, [1, 2, 3]);
        Assert.Contains("scan.ndpi", Assert.Throws<ImageReadException>(() => SlideImage.Open(ndpi)).Message);
        var garbage = Path.Combine(folder, "broken.svs");
        File.WriteAllBytes(garbage, new byte[100]);
        Assert.Contains("broken.svs", Assert.Throws<ImageReadException>(() => SlideImage.Open(garbage)).Message);
        Assert.Throws<FileNotFoundException>(() => SlideImage.Open(Path.Combine(folder, "missing.svs")));
    }

    /// <summary>White glass; two pink pieces, the first with a white hole; a speck of dust.</summary>
    private static (byte, byte, byte) Layout(int x, int y)
    {
        (byte, byte, byte) glass = (245, 245, 245),
            pink = (220, 140, 190);
        bool first = x >= 200 && x < 1000 && y >= 200 && y < 1300,
            hole = x >= 500 && x < 700 && y >= 600 && y < 800,
            second = x >= 1300 && x < 1900 && y >= 400 && y < 1000,
            dust = x >= 1500 && x < 1520 && y >= 1300 && y < 1320;
        return (first && !hole) || second || dust ? pink : glass;
    }

    [Fact]
    public void TissueIsFoundWhereItIsWithHolesFilledAndDustDropped()
    {
        var path = WriteSlide(
            2048,
            1536,
            Layout,
            new PyramidSettings
            {
                Levels = 3,
                Compression = TileCompression.Lzw,
                MicronsPerPixel = 0.5,
            }
        );
        using var slide = SlideImage.Open(path);
        var tissue = TissueMap.Detect(slide, new TissueSettings { MapSide = 256, MinimumPiecePixels = 10_000 });
        Assert.Equal(256, tissue.Width);
        Assert.Equal(8.0, tissue.Downsample);
        bool At(int x, int y) =>
            tissue.Tissue[(int)(y / tissue.Downsample) * tissue.Width + (int)(x / tissue.Downsample)];
        Assert.True(At(300, 300));
        Assert.True(At(600, 700)); // the hole, filled
        Assert.True(At(1600, 700));
        Assert.False(At(100, 100));
        Assert.False(At(1510, 1310)); // dust, dropped
        Assert.False(At(1100, 700));
        double expected = (800.0 * 1100 + 600 * 600) / (2048.0 * 1536);
        Assert.Equal(expected, tissue.TissueFraction, 0.01);
        Assert.Equal(1.0, tissue.Fraction(300, 300, 256, 256));
        Assert.Equal(0.0, tissue.Fraction(0, 0, 128, 128));
        Assert.Equal(0.5, tissue.Fraction(1000 - 64, 400, 128, 128), 1);
    }

    [Fact]
    public void TilesCoverTheTissueAtTheAskedScaleInLevel0Coordinates()
    {
        (byte, byte, byte) Square(int x, int y) =>
            x >= 512 && x < 1536 && y >= 256 && y < 1280
                ? ((byte)220, (byte)140, (byte)190)
                : ((byte)245, (byte)245, (byte)245);
        var path = WriteSlide(
            2048,
            1536,
            Square,
            new PyramidSettings
            {
                Levels = 3,
                Compression = TileCompression.Lzw,
                Description = "Aperio X|AppMag = 20|MPP = 0.5",
            }
        );
        using var slide = SlideImage.Open(path);
        var tissue = TissueMap.Detect(slide, new TissueSettings { MapSide = 512 });
        var tiles = SlideTiling.Plan(slide, tissue, new TilingSettings { TileSize = 128, MicronsPerPixel = 1.0 });
        Assert.Equal(16, tiles.Count);
        Assert.All(tiles, t => Assert.Equal(256, t.Side));
        Assert.Equal(
            [.. from y in new[] { 256, 512, 768, 1024 } from x in new[] { 512, 768, 1024, 1280 } select (x, y)],
            tiles.Select(t => (t.X, t.Y)).ToArray()
        );
        var pixels = SlideTiling.Read(slide, tiles[5], 128);
        Assert.Equal((128, 128), (pixels.Width, pixels.Height));
        Assert.InRange((int)pixels[64, 64, 0], 215, 225);
        Assert.Equal(2, SlideTiling.Downsample(slide, new TilingSettings { Magnification = 10 }), 6);
        Assert.Equal(1, SlideTiling.Downsample(slide, new TilingSettings()));

        var bare = WriteSlide(512, 512, Square, new PyramidSettings { Levels = 1 });
        using var unscaled = SlideImage.Open(bare);
        var e = Assert.Throws<ArgumentException>(() =>
            SlideTiling.Downsample(unscaled, new TilingSettings { MicronsPerPixel = 1 })
        );
        Assert.Contains("µm per pixel", e.Message);
    }

    [Fact]
    public void SyntheticSlidesAreSvsWithTissueTumourMasksAndAList()
    {
        var root = TestTemp.Folder("wsi").FullName;
        var written = SyntheticSlides.Generate(root, new SyntheticSlideOptions(2, 3) { Width = 1024, Height = 768 });
        Assert.Equal([Path.Combine("slides", "normal_001.svs"), Path.Combine("slides", "tumor_002.svs")], written);
        Assert.Equal(
            "slide_id,label\nnormal_001,normal\ntumor_002,tumor\n",
            File.ReadAllText(Path.Combine(root, "slides.csv"))
        );
        using var slide = SlideImage.Open(Path.Combine(root, written[1]));
        Assert.Equal(new SlideProperties("aperio", 0.5, 20), slide.Properties);
        Assert.Equal(3, slide.Levels.Count);
        Assert.Equal(16.0, slide.Levels[2].Downsample, 3);
        var tissue = TissueMap.Detect(slide, new TissueSettings { MapSide = 256, MinimumPiecePixels = 1000 });
        Assert.InRange(tissue.TissueFraction, 0.15, 0.85);
        var normalMask = RgbImageReader.Read(Path.Combine(root, "masks", "normal_001.png"));
        var tumourMask = RgbImageReader.Read(Path.Combine(root, "masks", "tumor_002.png"));
        Assert.Equal((64, 48), (tumourMask.Width, tumourMask.Height));
        Assert.DoesNotContain(normalMask.Pixels, p => p != 0);
        Assert.Contains(tumourMask.Pixels, p => p == 255);
        // Tumour lies in tissue.
        for (int y = 0; y < tumourMask.Height; y++)
        for (int x = 0; x < tumourMask.Width; x++)
            if (tumourMask[x, y, 0] == 255)
                Assert.True(tissue.Fraction(x * 16, y * 16, 16, 16) > 0, $"tumour at ({x}, {y}) outside tissue");
    }

    [Fact]
    public void FrocMatchesAHandComputedCase()
    {
        // Slide A: lesions 0 and 1; slide B: lesion 0; slide C: none.
        var slides = new[]
        {
            new SlideDetections([new(0.9, 0), new(0.8, 0), new(0.7, null), new(0.4, 1)], 2),
            new SlideDetections([new(0.85, null), new(0.6, 0)], 1),
            new SlideDetections([new(0.5, null), new(0.3, null)], 0),
        };
        var result = Froc.Compute(slides);
        // Thresholds 0.9 … 0.3: (FP/slide, sensitivity)
        (double, double)[] expected =
        [
            (0, 1 / 3.0),
            (1 / 3.0, 1 / 3.0),
            (1 / 3.0, 1 / 3.0),
            (2 / 3.0, 1 / 3.0),
            (2 / 3.0, 2 / 3.0),
            (1, 2 / 3.0),
            (1, 1),
            (4 / 3.0, 1),
        ];
        Assert.Equal(expected.Length, result.Points.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Item1, result.Points[i].Fp, 9);
            Assert.Equal(expected[i].Item2, result.Points[i].Sensitivity, 9);
        }
        // 1/4: between (0, 1/3) and (1/3, 1/3) → 1/3; 1/2: between (1/3, 1/3) and (2/3, 1/3) → 1/3;
        // 1: the best at FP 1 → 1; 2, 4, 8: beyond the end → 1.
        double[] sensitivities = [1 / 3.0, 1 / 3.0, 1, 1, 1, 1];
        Assert.Equal(sensitivities.Length, result.SensitivityAtRates.Count);
        for (int i = 0; i < sensitivities.Length; i++)
            Assert.Equal(sensitivities[i], result.SensitivityAtRates[i], 9);
        Assert.Equal(sensitivities.Average(), result.Score, 9);
        Assert.Throws<ArgumentException>(() => Froc.Compute([new SlideDetections([new(0.5, 2)], 1)]));
        // A false positive first: nothing is found below 1 FP per slide (the curve starts at (0, 0)); at 1, all.
        var late = Froc.Compute([new SlideDetections([new(0.9, null), new(0.8, 0)], 1)]);
        Assert.Equal(0, late.SensitivityAtRates[0], 9);
        Assert.Equal(1, late.SensitivityAtRates[2], 9);
    }
}
