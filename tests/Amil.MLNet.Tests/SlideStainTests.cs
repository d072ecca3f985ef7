using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Stain;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Stain normalisation on whole slides: normalised tiles are another cache entry with other features, and
/// TileSlides saves its reference, so a loaded model scores with the stain it trained on.</summary>
public sealed class SlideStainTests
{
    [Fact]
    public void NormalisedTilesAreCachedApartAndTheSavedTransformScoresWithTheReference()
    {
        var root = TestTemp.Folder("slide-stain").FullName;
        SyntheticSlides.Generate(root, new SyntheticSlideOptions(2, 11) { Width = 1024, Height = 768 });
        var slides = Directory.EnumerateFiles(Path.Combine(root, "slides"), "*.svs").Order().ToList();
        var reference = SlideStains.Measure(slides[1], StainMethod.Macenko);
        var cache = Path.Combine(root, "cache");
        var tiling = new SlideTilesOptions().Tiling;

        var plain = new SlideFeatureCache(cache, tiling);
        var normalised = new SlideFeatureCache(cache, tiling, stain: reference);
        Assert.NotEqual(plain.EntryPath(slides[0]), normalised.EntryPath(slides[0]));
        var scanned = plain.Get(slides[0]).Bag.Features;
        var expected = normalised.Get(slides[0]).Bag.Features;
        Assert.Equal(scanned.Length, expected.Length);
        Assert.NotEqual(scanned, expected);

        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new SlideRow { SlidePath = slides[0] } });
        var fitted = ml.Transforms.TileSlides(new SlideTilesOptions { Stain = reference }).Fit(data);
        var path = Path.Combine(root, "tiles.zip");
        ml.Model.Save(fitted, data.Schema, path);
        var loadContext = new MLContext(seed: 1);
        loadContext.ComponentCatalog.RegisterAmilSlides();
        var loaded = loadContext.Model.Load(path, out _);
        float[] features;
        using (SlideFeatures.Use(cache))
            features = loaded.Transform(data).GetColumn<float[]>("Features").First();
        Assert.Equal(expected, features);
    }

    [Fact]
    public void TissueIsFoundOnAStronglyStainedSlideWhoseNucleiTheMapResolves()
    {
        // The second site's stain on a small slide: Otsu alone split nuclei from stroma and found no tissue at all.
        var root = TestTemp.Folder("slide-stain-tissue").FullName;
        SyntheticSlides.Generate(
            root,
            new SyntheticSlideOptions(6, 1)
            {
                Set = SyntheticSlideSet.Hard,
                TwoSites = true,
                Width = 2048,
                Height = 1536,
            }
        );
        using var slide = SlideImage.Open(Path.Combine(root, "slides", "tumor_002.svs"));

        var tissue = TissueMap.Detect(slide);

        Assert.InRange(tissue.TissueFraction, 0.3, 0.7);
    }

    private sealed class SlideRow
    {
        public string SlidePath { get; set; } = "";
    }
}
