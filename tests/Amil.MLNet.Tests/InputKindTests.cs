using Amil.MLNet.Application;
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
