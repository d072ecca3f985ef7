using Amil.MLNet.Application;
using Amil.MLNet.Application.Jobs;
using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Images;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>A model given the other kind of input says so and exits 1: an image model never scores a crop of a
/// whole slide, a slide model never reports an image as "not a readable TIFF".</summary>
[Collection("trained")]
public sealed class InputKindTests(TrainedRunFixture run)
{
    [Fact]
    public void AnImageModelRefusesAWholeSlideNamingWhatToUse()
    {
        var folder = TestTemp.Folder("input-kind-").FullName;
        var slide = Path.Combine(folder, "slide.tif");
        WritePyramid(slide);
        var output = Path.Combine(folder, "out");

        var (exit, _, stderr) = Programs.Predict(Path.Combine(run.RunDirectory, "model.zip"), slide, output);

        Assert.Equal(1, exit);
        Assert.Contains($"{slide} is a whole slide, but the model scores images", stderr);
        Assert.Contains("whole-slide dataset", stderr);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void WholeSlidesAreToldFromImagesByFormatAndPyramid()
    {
        var folder = TestTemp.Folder("input-kind-files-").FullName;
        var pyramid = Path.Combine(folder, "pyramid.tif");
        WritePyramid(pyramid);
        SyntheticHistology.Generate(folder, new SyntheticOptions(SyntheticKind.Bach, 4, 1));
        var bachImage = Directory.EnumerateFiles(folder, "*.tif", SearchOption.AllDirectories).First(f => f != pyramid);
        var png = Path.Combine(folder, "patch.png");
        TestImages.WritePng(png, 64, 64, dark: false, seed: 1);
        File.WriteAllText(Path.Combine(folder, "named.svs"), "");

        Assert.True(SlideImage.IsWholeSlide(pyramid));
        Assert.True(SlideImage.IsWholeSlide(Path.Combine(folder, "named.svs")));
        Assert.False(SlideImage.IsWholeSlide(bachImage)); // a 2048 × 1536 microscopy TIFF in strips
        Assert.False(SlideImage.IsWholeSlide(png));
    }

    [Fact]
    public void EveryReadableTiffIsAcceptedByExactlyOneKindOfModel()
    {
        var folder = TestTemp.Folder("input-kind-tiffs-").FullName;
        RgbImage Grey(int level, int x, int y, int w, int h) =>
            new(w, h, Enumerable.Repeat((byte)200, w * h * 3).ToArray());
        string Write(string name, int width, int height, PyramidSettings settings)
        {
            var path = Path.Combine(folder, name);
            PyramidalTiff.Write(path, width, height, Grey, settings);
            return path;
        }
        var photo = Path.Combine(folder, "photo.tif");
        RgbImageWriter.WriteTiff(photo, new RgbImage(64, 64, new byte[64 * 64 * 3]));
        var kinds = new (string Path, bool Slide)[]
        {
            (photo, false),
            (Write("pyramid.tif", 1024, 768, new PyramidSettings { Levels = 2 }), true),
            (Write("tiled-one-level.tif", 512, 512, new PyramidSettings { Levels = 1 }), true),
            (Write("stripped-scan.tif", 4096, 4000, new PyramidSettings { Levels = 1, RowsPerStrip = 16 }), true),
        };

        foreach (var (path, slide) in kinds)
        {
            Assert.True(SlideImage.IsWholeSlide(path) == slide, path);
            Assert.True(SlideImage.IsPhoto(path) == !slide, path);
            Assert.True(Refuses(() => PredictJob.ListImages(path)) == slide, $"image model, {path}");
            Assert.True(Refuses(() => SlideScoring.SlideFiles(path)) == !slide, $"slide model, {path}");
        }
    }

    private static bool Refuses(Action list)
    {
        try
        {
            list();
            return false;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }

    [Fact]
    public void ASlideModelRefusesAnImageOrAFolderOfImagesNamingWhatToUse()
    {
        var folder = TestTemp.Folder("input-kind-images-").FullName;
        var png = Path.Combine(folder, "patch.png");
        TestImages.WritePng(png, 64, 64, dark: false, seed: 1);

        var one = Assert.Throws<ArgumentException>(() => SlideScoring.SlideFiles(png));
        var all = Assert.Throws<ArgumentException>(() => SlideScoring.SlideFiles(folder));

        Assert.Contains($"{png} is an image, but the model scores whole slides", one.Message);
        Assert.Contains("is an image, but the model scores whole slides", all.Message);
    }

    /// <summary>A small tiled pyramid of two levels, as scanners write them.</summary>
    private static void WritePyramid(string path) =>
        PyramidalTiff.Write(
            path,
            1024,
            768,
            (_, _, _, w, h) => new RgbImage(w, h, Enumerable.Repeat((byte)200, w * h * 3).ToArray()),
            new PyramidSettings { Levels = 2, TileSize = 256 }
        );
}
