using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Stain;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>HED and HSV colour augmentation: the HED round trip is exact when nothing is changed, scaling a stain
/// scales its optical density, each copy of each slide is its own reproducible draw, and the text form reads
/// back.</summary>
public sealed class ColourAugmentationTests
{
    private static RgbImage Tissue()
    {
        var random = new Random(3);
        var pixels = new byte[32 * 32 * 3];
        for (int i = 0; i < pixels.Length; i += 3)
        {
            bool nucleus = random.NextDouble() < 0.3;
            (pixels[i], pixels[i + 1], pixels[i + 2]) = nucleus
                ? ((byte)random.Next(60, 110), (byte)random.Next(30, 80), (byte)random.Next(120, 170))
                : ((byte)random.Next(200, 240), (byte)random.Next(130, 180), (byte)random.Next(180, 220));
        }
        return new RgbImage(32, 32, pixels);
    }

    [Fact]
    public void HedLeavesColoursAsTheyAreWhenNothingIsScaledOrShifted()
    {
        var tissue = Tissue();
        var same = ColourAugmentation.Hed(tissue, [1, 1, 1], [0, 0, 0]);
        Assert.All(
            Enumerable.Range(0, tissue.Pixels.Length),
            i => Assert.InRange(same.Pixels[i] - tissue.Pixels[i], -1, 1)
        );
    }

    [Fact]
    public void ScalingHaematoxylinScalesTheDensityOfAPureHaematoxylinPixel()
    {
        // A pixel of haematoxylin alone: optical density 0.5 × its vector (0.65, 0.70, 0.29).
        double[] h = [0.65, 0.70, 0.29];
        byte[] pixel = [.. h.Select(v => (byte)Math.Round(256 * Math.Exp(-0.5 * v) - 1))];
        var doubled = ColourAugmentation.Hed(new RgbImage(1, 1, pixel), [2, 1, 1], [0, 0, 0]);
        for (int c = 0; c < 3; c++)
        {
            double density = -Math.Log((doubled.Pixels[c] + 1) / 256.0);
            Assert.InRange(density, 1.0 * h[c] - 0.02, 1.0 * h[c] + 0.02);
        }
    }

    [Fact]
    public void EachCopyOfEachSlideIsItsOwnReproducibleDraw()
    {
        var tissue = Tissue();
        byte[] Draw(ColourAugmentationMethod method, string slide, int copy) =>
            new ColourAugmentation(method, 0.05, copy).For(slide)(tissue).Pixels;
        foreach (var method in new[] { ColourAugmentationMethod.Hed, ColourAugmentationMethod.Hsv })
        {
            Assert.Equal(Draw(method, "a.svs", 1), Draw(method, "a.svs", 1));
            Assert.NotEqual(Draw(method, "a.svs", 1), Draw(method, "a.svs", 2));
            Assert.NotEqual(Draw(method, "a.svs", 1), Draw(method, "b.svs", 1));
            // Light augmentation: colours move, but by a few grey levels on average, not into another image.
            double change = Draw(method, "a.svs", 1).Zip(tissue.Pixels, (x, y) => Math.Abs(x - y)).Average();
            Assert.InRange(change, 0.5, 25);
        }
    }

    [Fact]
    public void TheTextFormReadsBackAndBadTextIsRefused()
    {
        var augmentation = new ColourAugmentation(ColourAugmentationMethod.Hsv, 0.2, 3);
        Assert.Equal("hsv 0.2 #3", augmentation.ToString());
        Assert.Equal(augmentation, ColourAugmentation.Parse(augmentation.ToString()));
        Assert.Null(ColourAugmentation.Parse(""));
        Assert.Throws<FormatException>(() => ColourAugmentation.Parse("hed 0.05"));
        Assert.Throws<ArgumentException>(() => ColourAugmentation.Parse("hed 1.5 #1"));
        Assert.Throws<ArgumentException>(() => ColourAugmentation.Parse("hed 0.05 #0"));
    }
}
