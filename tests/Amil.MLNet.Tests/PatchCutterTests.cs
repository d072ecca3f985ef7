using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Images;
using Xunit;

namespace Amil.MLNet.Tests;

public class PatchCutterTests
{
    private static RgbImage Gradient(int width, int height)
    {
        var pixels = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            int i = (y * width + x) * 3;
            pixels[i] = (byte)(x % 256);
            pixels[i + 1] = (byte)(y % 256);
            pixels[i + 2] = 7;
        }
        return new RgbImage(width, height, pixels);
    }

    [Fact]
    public void ReferenceSetupGives400PatchesOnA16By25Grid()
    {
        var bag = PatchCutter.Cut(Gradient(700, 460), new PatchBaggingOptions());
        Assert.Equal(16, bag.Layout.Rows);
        Assert.Equal(25, bag.Layout.Columns);
        Assert.Equal(400, bag.Layout.Count);
        Assert.Equal(400 * 3 * 28 * 28, bag.Pixels.Length);
        // Centre crop of 448 rows from 460 starts at row 6; the last patch starts at (672, 6 + 15 * 28).
        Assert.Equal((0, 6), bag.Layout.Origin(0));
        Assert.Equal((672, 426), bag.Layout.Origin(399));
        var xy = bag.Coordinates();
        Assert.Equal([672, 426], xy[^2..]);
    }

    [Fact]
    public void PixelsLandInChannelMajorPatchOrder()
    {
        var bag = PatchCutter.Cut(Gradient(700, 460), new PatchBaggingOptions());
        int patch = 26,
            plane = 28 * 28,
            p = patch * 3 * plane; // row 1, column 1 → origin (28, 34)
        Assert.Equal((28, 34), bag.Layout.Origin(patch));
        Assert.Equal((28 + 5) / 255f, bag.Pixels[p + 2 * 28 + 5], 6); // R = x at (x+5, y+2)
        Assert.Equal((34 + 2) / 255f, bag.Pixels[p + plane + 2 * 28 + 5], 6); // G = y
        Assert.Equal(7 / 255f, bag.Pixels[p + 2 * plane], 6); // B constant
    }

    [Fact]
    public void OverlappingStrideGivesDenserGrid()
    {
        var bag = PatchCutter.Cut(Gradient(700, 460), new PatchBaggingOptions { Stride = 14 });
        Assert.Equal((448 - 28) / 14 + 1, bag.Layout.Rows);
        Assert.Equal((700 - 28) / 14 + 1, bag.Layout.Columns);
        Assert.Equal((14, 6), bag.Layout.Origin(1));
    }

    [Fact]
    public void WholeImageWithoutCrop()
    {
        var bag = PatchCutter.Cut(Gradient(100, 60), new PatchBaggingOptions { CropHeight = null, CropWidth = null });
        Assert.Equal(2, bag.Layout.Rows);
        Assert.Equal(3, bag.Layout.Columns);
        Assert.Equal((0, 0), bag.Layout.Origin(0));
    }

    [Fact]
    public void SmallImageIsAClearErrorOrPaddedByOption()
    {
        var e = Assert.Throws<ImageReadException>(() =>
            PatchCutter.Cut(Gradient(300, 200), new PatchBaggingOptions(), "small.png")
        );
        Assert.Contains("small.png", e.Message);
        Assert.Contains("--crop", e.Message);

        var padded = PatchCutter.Cut(
            Gradient(300, 200),
            new PatchBaggingOptions { SmallImages = SmallImagePolicy.Pad }
        );
        Assert.Equal(400, padded.Layout.Count);
        Assert.Equal(1f, padded.Pixels[0]); // white padding in the corner patch
    }

    [Fact]
    public void BadOptionsAreRejectedWithTheirName()
    {
        Assert.Contains(
            "Stride",
            Assert.Throws<ArgumentException>(() => new PatchBaggingOptions { Stride = 0 }.Validate()).Message
        );
        Assert.Contains(
            "CropHeight",
            Assert.Throws<ArgumentException>(() => new PatchBaggingOptions { CropHeight = null }.Validate()).Message
        );
    }

    [Fact]
    public void UnreadableFilesNameTheFile()
    {
        var dir = TestTemp.Folder("amil-bad-").FullName;
        var empty = Path.Combine(dir, "empty.png");
        File.WriteAllBytes(empty, []);
        var junk = Path.Combine(dir, "junk.png");
        File.WriteAllText(junk, "not an image");
        Assert.Contains("empty", Assert.Throws<ImageReadException>(() => RgbImageReader.Read(empty)).Message);
        Assert.Contains("junk.png", Assert.Throws<ImageReadException>(() => RgbImageReader.Read(junk)).Message);
        Assert.Contains(
            "not found",
            Assert.Throws<ImageReadException>(() => RgbImageReader.Read(Path.Combine(dir, "missing.png"))).Message
        );
    }
}
