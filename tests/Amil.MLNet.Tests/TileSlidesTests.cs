using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Slides;
using Amil.MLNet.Trainers;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Slides through the ML.NET chain: TileSlides gives the feature-bag columns, AttentionMil trains on them,
/// and the saved model is an ordinary AmilModel that scores slide paths; models saved before TileSlides still
/// load.</summary>
public sealed class TileSlidesTests
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var root = TestTemp.Folder("tile-slides").FullName;
        SyntheticSlides.Generate(root, new SyntheticSlideOptions(4, 9) { Width = 1024, Height = 768 });
        return root;
    });

    private static IReadOnlyList<SlideRow> Rows() =>
        Directory
            .EnumerateFiles(Path.Combine(Root.Value, "slides"), "*.svs")
            .Order(StringComparer.Ordinal)
            .Select(p => new SlideRow { SlidePath = p, Label = Path.GetFileName(p).Split('_')[0] })
            .ToList();

    [Fact]
    public void ASlideModelTrainsInTheChainAndScoresSlidePathsAfterSaveAndLoad()
    {
        var cache = TestTemp.Folder("tile-slides-cache").FullName;
        SlideFeatures.CacheFolder = cache;
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows());
        var pipeline = ml
            .Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.TileSlides())
            .Append(
                ml.MulticlassClassification.Trainers.AttentionMil(
                    new AttentionMilOptions { BagColumnName = "Features", MaxEpochs = 2 }
                )
            );
        var fitted = pipeline.Fit(data);

        // The bag columns: 512 features a tile, one row of tiles, level-0 corners on the 224 px grid.
        var bagged = fitted.Transform(data);
        var features = bagged.GetColumn<float[]>("Features").First();
        var coordinates = bagged.GetColumn<int[]>("FeaturesCoordinates").First();
        Assert.Equal(0, features.Length % 512);
        Assert.Equal(2 * features.Length / 512, coordinates.Length);
        Assert.All(coordinates, c => Assert.Equal(0, c % 224));
        Assert.NotEmpty(Directory.EnumerateFiles(cache, "*.feat", SearchOption.AllDirectories));

        var path = Path.Combine(TestTemp.Folder("tile-slides-model").FullName, "model.zip");
        var model = new AmilModel(ml, fitted, ModelInput.Slides);
        model.Save(path);
        var loaded = AmilModel.Load(path);
        Assert.Equal(ModelInput.Slides, loaded.Input);
        var slides = Rows().Select(r => r.SlidePath).ToList();
        var before = model.Score(slides).ToList();
        var after = loaded.Score(slides).ToList();
        // Equal to float rounding: libtorch's products over hundreds of 512-feature tiles vary in the last bits.
        for (int i = 0; i < slides.Count; i++)
            Assert.All(after[i].Probabilities.Zip(before[i].Probabilities), p => Assert.Equal(p.First, p.Second, 5));
        Assert.Equal(features.Length / 512, after[0].Map.Length);
        Assert.Equal(coordinates, after[0].Coordinates);

        // Another cache set at once gets every slide: ML.NET's worker threads from the scoring above, which still
        // hold the first cache, must not do the reading.
        var other = TestTemp.Folder("tile-slides-other-cache").FullName;
        SlideFeatures.CacheFolder = other;
        Assert.Equal(slides.Count, loaded.Score(slides).Count());
        Assert.Equal(slides.Count, Directory.EnumerateFiles(other, "*.feat", SearchOption.AllDirectories).Count());

        // A model that carries its own cache folder reads and writes there, whatever the caller's, and leaves the
        // caller's as it was.
        var own = TestTemp.Folder("tile-slides-own-cache").FullName;
        Assert.Equal(slides.Count, loaded.WithFeatureCache(own).Score(slides).Count());
        Assert.Equal(slides.Count, Directory.EnumerateFiles(own, "*.feat", SearchOption.AllDirectories).Count());
        Assert.Equal(Path.GetFullPath(other), SlideFeatures.CacheFolder);
        Assert.Equal(own, loaded.WithFeatureCache(own).OnDevice(ComputeDevice.Cpu).FeatureCache);
    }

    [Fact]
    public void ASlideModelSavedBeforeTileSlidesLoadsAndScoresAsItDid()
    {
        // The head-only format (the head alone, saved on rows of cached tile features): such models must still load.
        var cache = TestTemp.Folder("tile-slides-old").FullName;
        var tiling = new SlideTilesOptions().Tiling;
        var store = new SlideFeatureCache(cache, tiling);
        var ml = new MLContext(seed: 1);
        var rows = Rows()
            .Select(r =>
            {
                var bag = store.Get(r.SlidePath).Bag;
                return new OldRow
                {
                    SlidePath = r.SlidePath,
                    Label = r.Label,
                    Features = bag.Features,
                    FeaturesLayout = bag.Layout.Encode(),
                };
            })
            .ToList();
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(rows));
        var train = keyed.Transform(ml.Data.LoadFromEnumerable(rows));
        var head = ml
            .MulticlassClassification.Trainers.AttentionMil(
                new AttentionMilOptions { BagColumnName = "Features", MaxEpochs = 1 }
            )
            .Fit(train);
        var path = Path.Combine(cache, "old-model.zip");
        ml.Model.Save(head, train.Schema, path);
        var expected = head.Transform(train).GetColumn<float[]>("Score").ToList();

        SlideFeatures.CacheFolder = cache;
        var loaded = AmilModel.Load(path);
        Assert.Equal(ModelInput.Slides, loaded.Input);
        var scored = loaded.Score(rows.Select(r => r.SlidePath)).ToList();
        for (int i = 0; i < rows.Count; i++)
            Assert.All(scored[i].Probabilities.Zip(expected[i]), p => Assert.Equal(p.First, p.Second, 5));
        var tile = store.Get(rows[0].SlidePath).Bag.Tiles;
        Assert.Equal(tile.SelectMany(t => new[] { t.X, t.Y }), scored[0].Coordinates);
    }

    [Fact]
    public void OverlappingTilesStepByPartOfATileAreCachedApartAndSavedWithTheModel()
    {
        var slide = Rows()[^1].SlidePath;
        using (var image = SlideImage.Open(slide))
        {
            var tissue = TissueMap.Detect(image);
            var plain = SlideTiling.Plan(image, tissue, new SlideTilesOptions().Tiling);
            var half = SlideTiling.Plan(image, tissue, new SlideTilesOptions { Overlap = 0.5 }.Tiling);
            Assert.True(half.Count > 2 * plain.Count, $"{half.Count} overlapping tiles vs {plain.Count}");
            Assert.Contains(half, t => t.X % 224 == 112);
            Assert.All(half, t => Assert.Equal(224, t.Side));
        }
        var folder = TestTemp.Folder("tile-overlap").FullName;
        var tiling = new SlideTilesOptions { Overlap = 0.5, MicronsPerPixel = 0.5 }.Tiling;
        Assert.NotEqual(
            new SlideFeatureCache(folder, new SlideTilesOptions().Tiling).EntryPath(slide),
            new SlideFeatureCache(folder, tiling).EntryPath(slide)
        );
        Assert.Equal(
            (tiling, "resnet18", "", null, true),
            SlideTilesState.Decode(SlideTilesState.Encode(tiling, "resnet18", null, qualityControl: true))
        );
        // A stain reference saves with the tiling and comes back exactly.
        var stain = new Transforms.Stain.StainProfile(
            Transforms.Stain.StainMethod.Reinhard,
            [4.1f, 0.1f, -0.2f, 0.3f, 0.02f, 0.01f]
        );
        var saved = SlideTilesState.Decode(SlideTilesState.Encode(tiling, "resnet18", stain)).Stain!;
        Assert.Equal((stain.Method, stain.ToString()), (saved.Method, saved.ToString()));
        // A version-1 state (saved before overlap) reads as no overlap.
        var v1 = Transforms.Persistence.StateBlob.Create(
            Transforms.Persistence.StateKind.SlideTiles,
            1,
            [224f, 20f, float.NaN, 0.5f]
        );
        Assert.Equal((new SlideTilesOptions().Tiling, "resnet18", "", null, false), SlideTilesState.Decode(v1));
        Assert.Throws<ArgumentException>(() => new SlideTilesOptions { Overlap = 0.95 }.Validate());
    }

    [Fact]
    public void TileSlidesSaysWhatItNeeds()
    {
        var ml = new MLContext(seed: 1);
        var images = ml.Data.LoadFromEnumerable(new[] { new { ImagePath = "a.png" } });
        var e = Assert.Throws<ArgumentException>(() => ml.Transforms.TileSlides().Fit(images));
        Assert.Contains("'SlidePath'", e.Message);
        var bad = Assert.Throws<ArgumentException>(() =>
            ml.Transforms.TileSlides(new SlideTilesOptions { MinimumTissue = 0 })
        );
        Assert.Contains("MinimumTissue", bad.Message);
    }

    private sealed class SlideRow
    {
        public string SlidePath { get; set; } = "";
        public string Label { get; set; } = "";
    }

    private sealed class OldRow
    {
        public string SlidePath { get; set; } = "";
        public string Label { get; set; } = "";
        public float[] Features { get; set; } = [];
        public int[] FeaturesLayout { get; set; } = [];
    }
}
