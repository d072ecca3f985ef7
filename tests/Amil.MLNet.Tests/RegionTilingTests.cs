using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Images;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Tiling restricted to annotated regions: a slide of 8 × 4 tissue tiles, annotated over its first columns;
/// only tiles whose centre lies inside are kept, by the cache and by TileSlides with a regions column, which a saved
/// model keeps.</summary>
public sealed class RegionTilingTests
{
    private const int Tile = GridSlide.Tile,
        Columns = 8,
        Rows = 4,
        Border = 2;

    private static readonly TilingSettings Tiling = new() { MicronsPerPixel = 0.5 };

    private static readonly Lazy<string> Slide = new(() =>
        new GridSlide(Columns, Rows, Border).Write(Path.Combine(TestTemp.Folder("regions").FullName, "slide.tif"))
    );

    /// <summary>A GeoJSON polygon over tissue columns [0, <paramref name="columns"/>) plus half a tile, so tiles of
    /// the next column have their centre outside.</summary>
    private static string GeoJson(string name, int columns, string className = "Region")
    {
        double x0 = Border * Tile,
            x1 = (Border + columns) * Tile + Tile / 4.0,
            y0 = Border * Tile,
            y1 = (Border + Rows) * Tile;
        var path = Path.Combine(Path.GetDirectoryName(Slide.Value)!, name);
        File.WriteAllText(
            path,
            "{\"type\":\"Feature\",\"properties\":{\"classification\":{\"name\":\""
                + className
                + "\"}},"
                + "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[["
                + FormattableString.Invariant($"[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]")
                + "]]}}"
        );
        return path;
    }

    [Fact]
    public void OnlyTilesWhoseCentreIsInsideTheRegionsAreKept()
    {
        var cache = new SlideFeatureCache(TestTemp.Folder("regions-cache").FullName, Tiling);
        var all = cache.Get(Slide.Value).Bag.Tiles;
        Assert.Equal(Columns * Rows, all.Count);

        var three = GeoJson("three.geojson", 3);
        var inside = cache.Get(Slide.Value, regions: three).Bag.Tiles;
        Assert.Equal(3 * Rows, inside.Count);
        Assert.All(inside, t => Assert.InRange(t.X / Tile - Border, 0, 2));
        Assert.NotEqual(cache.EntryPath(Slide.Value), cache.EntryPath(Slide.Value, three));
        Assert.NotEqual(cache.EntryPath(Slide.Value, three), cache.EntryPath(Slide.Value, GeoJson("five.geojson", 5)));

        // ImageScope's benign regions are annotated tissue, though not tumour.
        var xml = Path.Combine(Path.GetDirectoryName(Slide.Value)!, "benign.xml");
        File.WriteAllText(
            xml,
            $"""
            <Annotations><Annotation Id="1"><Regions><Region Id="1" Text="Benign"><Vertices>
            <Vertex X="{Border * Tile}" Y="{Border * Tile}"/><Vertex X="{(Border + 2) * Tile}" Y="{Border * Tile}"/>
            <Vertex X="{(Border + 2) * Tile}" Y="{(Border + Rows) * Tile}"/><Vertex X="{Border * Tile}" Y="{(
                Border + Rows
            ) * Tile}"/>
            </Vertices></Region></Regions></Annotation></Annotations>
            """
        );
        Assert.Equal(2 * Rows, cache.Get(Slide.Value, regions: xml).Bag.Tiles.Count);
    }

    [Fact]
    public void RegionsThatMissTheTissueOrDoNotExistAreNamed()
    {
        var cache = new SlideFeatureCache(TestTemp.Folder("regions-bad").FullName, Tiling);
        var away = Path.Combine(Path.GetDirectoryName(Slide.Value)!, "away.geojson");
        File.WriteAllText(
            away,
            """{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":"""
                + "[[[0,0],[50,0],[50,50],[0,0]]]}}"
        );
        var e = Assert.Throws<ImageReadException>(() => cache.Get(Slide.Value, regions: away));
        Assert.Contains("none of its 32 tissue tiles has its centre inside the annotated regions of", e.Message);
        e = Assert.Throws<ImageReadException>(() => cache.Get(Slide.Value, regions: away + ".missing"));
        Assert.Contains("do not exist", e.Message);
        File.WriteAllText(away, "{ not json");
        e = Assert.Throws<ImageReadException>(() => cache.Get(Slide.Value, regions: away));
        Assert.Contains("its annotated regions cannot be read", e.Message);
    }

    [Fact]
    public void TileSlidesWithARegionsColumnTilesEachRowWithinItsOwnRegionsAndKeepsThatWhenSaved()
    {
        SlideFeatures.CacheFolder = TestTemp.Folder("regions-chain").FullName;
        var ml = new MLContext(seed: 1);
        var three = GeoJson("chain.geojson", 3);
        var data = ml.Data.LoadFromEnumerable(
            new[]
            {
                new Row { SlidePath = Slide.Value, Regions = three },
                new Row { SlidePath = Slide.Value, Regions = "" },
            }
        );
        var options = new SlideTilesOptions { MicronsPerPixel = 0.5, RegionsColumnName = "Regions" };
        var fitted = ml.Transforms.TileSlides(options).Fit(data);
        int[] Tiles(ITransformer model) =>
            [.. model.Transform(data).GetColumn<int[]>("FeaturesCoordinates").Select(c => c.Length / 2)];
        Assert.Equal([3 * Rows, Columns * Rows], Tiles(fitted));

        var path = Path.Combine(TestTemp.Folder("regions-model").FullName, "tiles.zip");
        ml.Model.Save(fitted, data.Schema, path);
        Assert.Equal([3 * Rows, Columns * Rows], Tiles(ml.Model.Load(path, out _)));

        var without = ml.Data.LoadFromEnumerable(new[] { new PathOnly { SlidePath = Slide.Value } });
        var error = Assert.Throws<ArgumentException>(() => ml.Transforms.TileSlides(options).Fit(without));
        Assert.Contains("text column 'Regions'", error.Message);
    }

    [Fact]
    public void RegionsAndAugmentationTogetherTileWithinAndRecolour()
    {
        SlideFeatures.CacheFolder = TestTemp.Folder("regions-augment").FullName;
        var ml = new MLContext(seed: 1);
        var three = GeoJson("both.geojson", 3);
        var data = ml.Data.LoadFromEnumerable(
            new[]
            {
                new BothRow
                {
                    SlidePath = Slide.Value,
                    Regions = three,
                    Augmentation = "hed 0.05 #1",
                },
                new BothRow
                {
                    SlidePath = Slide.Value,
                    Regions = three,
                    Augmentation = "",
                },
            }
        );
        var options = new SlideTilesOptions
        {
            MicronsPerPixel = 0.5,
            RegionsColumnName = "Regions",
            AugmentationColumnName = "Augmentation",
        };
        var bagged = ml.Transforms.TileSlides(options).Fit(data).Transform(data);
        var corners = bagged.GetColumn<int[]>("FeaturesCoordinates").ToList();
        var features = bagged.GetColumn<float[]>("Features").ToList();
        Assert.Equal([3 * Rows, 3 * Rows], corners.Select(c => c.Length / 2));
        Assert.Equal(corners[0], corners[1]);
        Assert.NotEqual(features[0], features[1]); // the same tiles, recoloured
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void TrainTilesTheTrainingSlidesWithinTheirAnnotationsAndRefusesSlidesWithoutOne()
    {
        var root = TestTemp.Folder("regions-train").FullName;
        Data.Synthetic.SyntheticSlides.Generate(
            root,
            new Data.Synthetic.SyntheticSlideOptions(8, 2) { Width = 1536, Height = 1024 }
        );
        var masks = Path.Combine(root, Data.Synthetic.SyntheticSlides.MasksFolder);
        foreach (var png in Directory.GetFiles(masks, "*.png"))
            File.Delete(png);
        string run = Path.Combine(TestTemp.Folder("regions-run").FullName, "run"),
            cache = Path.Combine(root, "cache");
        var (exit, stdout, stderr) = Programs.TrainSlides(root, cache, run + "-refused", "--tile-within-annotations");
        Assert.Equal(1, exit);
        Assert.Contains("needs an annotation for every training and validation slide; 6 of 6 have none", stderr);

        // A region of interest over the left half of every slide.
        foreach (var slide in Directory.GetFiles(Path.Combine(root, Data.Synthetic.SyntheticSlides.SlidesFolder)))
            File.WriteAllText(
                Path.Combine(masks, Path.GetFileNameWithoutExtension(slide) + ".geojson"),
                """{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":"""
                    + "[[[0,0],[768,0],[768,1024],[0,1024],[0,0]]]}}"
            );
        (exit, stdout, stderr) = Programs.TrainSlides(root, cache, run, "--tile-within-annotations");
        Assert.True(exit == 0, stderr + stdout);
        Assert.Equal(6, stdout.Split('\n').Count(l => l.Contains("tiles within its annotations")));
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.True(config.RootElement.GetProperty("tiling").GetProperty("within_annotations").GetBoolean());
        // Training encoded the 6 training and validation slides' bags within the regions: only tiles left of x = 768.
        var tiles = new SlideFeatureCache(cache, new TilingSettings { Magnification = 20 });
        int cached = 0;
        foreach (var slide in Directory.GetFiles(Path.Combine(root, Data.Synthetic.SyntheticSlides.SlidesFolder)))
        {
            var regions = Path.Combine(masks, Path.GetFileNameWithoutExtension(slide) + ".geojson");
            if (!File.Exists(tiles.EntryPath(slide, regions)))
                continue;
            cached++;
            Assert.All(tiles.Get(slide, regions: regions).Bag.Tiles, t => Assert.True(t.X + t.Side / 2 < 768));
        }
        Assert.Equal(6, cached);
    }

    private sealed class Row
    {
        public string SlidePath { get; set; } = "";
        public string Regions { get; set; } = "";
    }

    private sealed class BothRow
    {
        public string SlidePath { get; set; } = "";
        public string Regions { get; set; } = "";
        public string Augmentation { get; set; } = "";
    }

    private sealed class PathOnly
    {
        public string SlidePath { get; set; } = "";
    }
}
