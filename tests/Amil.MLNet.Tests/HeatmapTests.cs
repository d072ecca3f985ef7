using Amil.MLNet.Maps.Heatmaps;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Images;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Maps land on the pixels of their patches, whatever the crop and stride.</summary>
public class HeatmapTests
{
    [Fact]
    public void AKnownAttentionVectorLandsOnItsPatchPixels()
    {
        // A 10 × 8 image, centre crop 8 × 4 at (1, 2): a 1 × 2 grid of 4-px patches.
        var layout = new BagLayout(3, 4, 4, 1, 2, 1, 2, 8, 4);
        var map = new PatchMap([0f, 1f], layout);
        var pixels = map.ToRegionPixels();
        Assert.Equal(32, pixels.Length);
        Assert.All(
            Enumerable.Range(0, 4).SelectMany(y => Enumerable.Range(0, 4).Select(x => pixels[y * 8 + x])),
            v => Assert.Equal(0f, v)
        );
        Assert.All(
            Enumerable.Range(0, 4).SelectMany(y => Enumerable.Range(4, 4).Select(x => pixels[y * 8 + x])),
            v => Assert.Equal(1f, v)
        );

        var image = new RgbImage(10, 8, Enumerable.Repeat((byte)200, 240).ToArray());
        var weighted = HeatmapRenderer.Weighted(image, map);
        Assert.Equal((8, 4), (weighted.Width, weighted.Height)); // exactly the analysed region, no padding rows
        Assert.Equal(0, weighted[1, 1, 0]);
        Assert.Equal(200, weighted[6, 3, 2]);

        var overlay = HeatmapRenderer.Overlay(image, map, Colormap.Jet, alpha: 1f);
        Assert.Equal(Colormap.Jet[1f], (overlay[5, 0, 0], overlay[5, 0, 1], overlay[5, 0, 2]));
        Assert.Equal(Colormap.Jet[0f], (overlay[0, 3, 0], overlay[0, 3, 1], overlay[0, 3, 2]));
    }

    [Fact]
    public void OverlappingPatchesAverageAndUncoveredMarginsAreEmpty()
    {
        // Region 7 × 4, 4-px patches at stride 2: origins x = 0, 2 (x = 4 would overrun), so column 6 is uncovered.
        var layout = new BagLayout(3, 4, 2, 1, 2, 0, 0, 7, 4);
        var pixels = new PatchMap([1f, 3f], layout).ToRegionPixels();
        Assert.Equal(1f, pixels[0]); // only patch 0
        Assert.Equal(2f, pixels[2]); // both: (1 + 3) / 2
        Assert.Equal(3f, pixels[5]); // only patch 1
        Assert.True(float.IsNaN(pixels[6]));
    }

    [Fact]
    public void FramesReplayResizeAndPaddingForImagesAndMasks()
    {
        // 40 × 20 image, left half tumour; the model resizes to 20 × 10 and crops 32 × 24 (larger: padded).
        var image = new RgbImage(40, 20, Enumerable.Repeat((byte)100, 40 * 20 * 3).ToArray());
        var options = new PatchBaggingOptions
        {
            ResizeWidth = 20,
            ResizeHeight = 10,
            CropWidth = 32,
            CropHeight = 24,
            PatchSize = 8,
            Stride = 8,
            SmallImages = SmallImagePolicy.Pad,
        };
        var bag = PatchCutter.Cut(image, options);
        Assert.Equal(new ImageFrame(20, 10, 32, 24), bag.Frame);
        var prepared = bag.Frame.Apply(image);
        Assert.Equal((32, 24), (prepared.Width, prepared.Height));
        Assert.Equal(255, prepared[0, 0, 0]); // padding is white
        Assert.Equal(100, prepared[16, 12, 0]); // the resized image sits in the middle
        Assert.NotNull(
            HeatmapRenderer.Overlay(prepared, new PatchMap(new float[bag.Layout.Count], bag.Layout), Colormap.Viridis)
        );

        var tumour = new bool[40 * 20];
        for (int y = 0; y < 20; y++)
        for (int x = 0; x < 20; x++)
            tumour[y * 40 + x] = true;
        var mask = new Amil.MLNet.Maps.Metrics.TumourMask(40, 20, tumour).Prepared(bag.Frame);
        Assert.Equal((32, 24), (mask.Width, mask.Height));
        Assert.False(mask.Tumour[0]); // padding is not tumour
        Assert.True(mask.Tumour[12 * 32 + 8]); // left half of the resized image (x 6…15)
        Assert.False(mask.Tumour[12 * 32 + 20]); // right half
        Assert.Equal(10 * 10, mask.Tumour.Count(t => t));
    }

    [Theory]
    [InlineData(MapNormalization.Max, new[] { 0.25f, 0.5f, 1f })]
    [InlineData(MapNormalization.MinMax, new[] { 0f, 1f / 3, 1f })]
    [InlineData(MapNormalization.Rank, new[] { 0f, 0.5f, 1f })]
    public void NormalizationsScaleToTheUnitRange(MapNormalization normalization, float[] expected)
    {
        var actual = MapNormalizer.Apply([1f, 2f, 4f], normalization);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], actual[i], 5);
        // ties share their mean rank (positions 0 and 1 of 0..2)
        Assert.Equal([0.25f, 0.25f, 1f], MapNormalizer.Apply([2f, 2f, 3f], MapNormalization.Rank));
        Assert.Equal([0f, 0f], MapNormalizer.Apply([5f, 5f], MapNormalization.MinMax)); // constant map → 0, not NaN
    }
}
