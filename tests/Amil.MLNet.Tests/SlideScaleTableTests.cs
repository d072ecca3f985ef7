using Amil.MLNet.Slides;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>slide_scales.csv: the scale a user gives a slide whose file is silent or wrong, found beside the slide or
/// in a folder above it, read by every opener, keyed into the feature cache, and refused clearly when
/// malformed.</summary>
public sealed class SlideScaleTableTests
{
    private static string Slide(string folder, string name, double? mpp)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name);
        PyramidalTiff.Write(
            path,
            512,
            512,
            (_, _, _, w, h) => new(w, h, Enumerable.Repeat((byte)200, w * h * 3).ToArray()),
            new PyramidSettings { Levels = 2, MicronsPerPixel = mpp }
        );
        return path;
    }

    [Fact]
    public void TheNearestTableGivesTheScaleAndAnExplicitScaleStillWins()
    {
        var root = TestTemp.Folder("scale-table").FullName;
        var slide = Slide(Path.Combine(root, "centre", "batch"), "silent.tif", mpp: null);
        using (var plain = SlideImage.Open(slide))
            Assert.Null(plain.Properties.MicronsPerPixel);

        var rootTable = Path.Combine(root, SlideScaleTable.FileName);
        File.WriteAllText(rootTable, "slide,mpp,magnification\nother.svs,0.5,20\nsilent,0.25,\n");
        using (var fromRoot = SlideImage.Open(slide))
        {
            Assert.Equal(0.25, fromRoot.Properties.MicronsPerPixel);
            Assert.Null(fromRoot.Properties.ObjectivePower);
            Assert.Equal(rootTable, fromRoot.Properties.ScaleTable);
        }

        // A table nearer the slide wins; a path relative to the table names the slide too.
        var nearTable = Path.Combine(root, "centre", SlideScaleTable.FileName);
        File.WriteAllText(nearTable, "slide,mpp\nbatch/silent.tif,0.5\n");
        using (var near = SlideImage.Open(slide))
            Assert.Equal((0.5, nearTable), (near.Properties.MicronsPerPixel!.Value, near.Properties.ScaleTable));
        using (var given = SlideImage.Open(slide, new SlideScale(MicronsPerPixel: 0.3)))
            Assert.Equal(0.3, given.Properties.MicronsPerPixel);
    }

    [Fact]
    public void ARowReplacesTheFilesScaleWhole()
    {
        var folder = TestTemp.Folder("scale-table-whole").FullName;
        var slide = Slide(folder, "tagged.tif", mpp: 0.243);
        File.WriteAllText(Path.Combine(folder, SlideScaleTable.FileName), "slide,magnification\ntagged.tif,40\n");

        using var opened = SlideImage.Open(slide);

        Assert.Null(opened.Properties.MicronsPerPixel); // the file's 0.243 no longer stands beside a given 40×
        Assert.Equal(40, opened.Properties.ObjectivePower);
    }

    [Fact]
    public void AMalformedTableIsNamedWithItsLineNotTakenForACorruptSlide()
    {
        var folder = TestTemp.Folder("scale-table-bad").FullName;
        var slide = Slide(folder, "s.tif", mpp: null);
        var table = Path.Combine(folder, SlideScaleTable.FileName);

        File.WriteAllText(table, "slide,mpp\ns.tif,abc\n");
        var error = Assert.Throws<InvalidDataException>(() => SlideImage.Open(slide));
        Assert.Equal($"{table}, line 2: mpp 'abc' is not a positive number.", error.Message);

        File.WriteAllText(table, "name,scale\ns.tif,0.5\n");
        Assert.Contains(
            "must name the columns slide and mpp",
            Assert.Throws<InvalidDataException>(() => SlideImage.Open(slide)).Message
        );

        File.WriteAllText(table, "slide,mpp,magnification\ns.tif,,\n");
        Assert.Contains(
            "neither mpp nor magnification",
            Assert.Throws<InvalidDataException>(() => SlideImage.Open(slide)).Message
        );
    }

    [Fact]
    public void AGivenScaleIsPartOfTheFeatureCacheKeyAndTheRefusalNamesTheTable()
    {
        var folder = TestTemp.Folder("scale-table-cache").FullName;
        var slide = Slide(folder, "s.tif", mpp: null);
        var cache = new SlideFeatureCache(Path.Combine(folder, "cache"), new TilingSettings { MicronsPerPixel = 0.5 });
        var before = cache.EntryPath(slide);
        using (var silent = SlideImage.Open(slide))
            Assert.Contains(
                $"in a {SlideScaleTable.FileName} beside it",
                Assert
                    .Throws<ArgumentException>(() =>
                        SlideTiling.Downsample(silent, new TilingSettings { MicronsPerPixel = 0.5 })
                    )
                    .Message
            );

        File.WriteAllText(Path.Combine(folder, SlideScaleTable.FileName), "slide,mpp\ns.tif,0.25\n");

        Assert.NotEqual(before, cache.EntryPath(slide));
        using var scaled = SlideImage.Open(slide);
        Assert.Equal(2, SlideTiling.Downsample(scaled, new TilingSettings { MicronsPerPixel = 0.5 }), 9);
    }
}
