using Amil.MLNet.Maps.Heatmaps;
using Amil.MLNet.Transforms.Images;
using Xunit;

namespace Amil.MLNet.Tests;

public class HeatmapPanelTests
{
    [Fact]
    public void PixelFontDrawsKnownGlyphsAndMeasuresWhatItDraws()
    {
        foreach (char c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz0123456789 .,:=-+()/%_×|'<>")
            Assert.True(PixelFont.Has(c), $"no glyph for '{c}'");
        Assert.Equal(5 * 2 + 1 * 2 + 5 * 2, PixelFont.Measure("I1", 2));
        var image = new RgbImage(40, 20, Enumerable.Repeat((byte)255, 40 * 20 * 3).ToArray());
        PixelFont.Draw(image, 1, 1, "T", 1, (0, 0, 0));
        // T: a full top bar of 5 pixels, then the stem in the middle column.
        Assert.All(Enumerable.Range(1, 5), x => Assert.Equal(0, image.Pixels[(1 * 40 + x) * 3]));
        Assert.Equal(0, image.Pixels[(4 * 40 + 3) * 3]);
        Assert.Equal(255, image.Pixels[(4 * 40 + 1) * 3]);
        // Drawing off the edge clips instead of failing.
        PixelFont.Draw(image, 38, 18, "WW", 3, (0, 0, 0));
    }

    [Fact]
    public void ColourScaleRunsFromTheColormapsTopToItsBottom()
    {
        var scale = HeatmapPanel.ColourScale(Colormap.Jet, 100, 30, ["map", "min-max"], 1);
        Assert.Equal(130, scale.Height);
        var top = (scale.Pixels[(30 * scale.Width + 2) * 3], scale.Pixels[(30 * scale.Width + 2) * 3 + 1]);
        var bottom = (scale.Pixels[(129 * scale.Width + 2) * 3], scale.Pixels[(129 * scale.Width + 2) * 3 + 1]);
        Assert.Equal((Colormap.Jet[1f].R, Colormap.Jet[1f].G), top);
        Assert.Equal((Colormap.Jet[0f].R, Colormap.Jet[0f].G), bottom);
    }

    [Fact]
    public void CaptionsTooLongForTheTileAreCutNotOverflowed()
    {
        var tile = new RgbImage(60, 10, new byte[60 * 10 * 3]);
        var captioned = HeatmapPanel.Captioned(tile, ["a caption far too long for sixty pixels"], 1, 1);
        Assert.Equal(60, captioned.Width);
        Assert.True(captioned.Height > 10);
        Assert.Equal(1, HeatmapPanel.TextScaleFor(224));
        Assert.Equal(2, HeatmapPanel.TextScaleFor(700));
    }
}
