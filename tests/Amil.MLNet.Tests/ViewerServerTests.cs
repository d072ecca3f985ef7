using System.Net;
using System.Text.Json;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Viewer;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>The viewer's server over HTTP, in process, on a trained run: descriptors, tile sizes and pixels, overlay
/// tiles hot where the map is, and every refused address answered 400 or 404 — never a stack trace.</summary>
[Collection("trained")]
public sealed class ViewerServerTests(TrainedRunFixture run) : IAsyncLifetime
{
    private ViewerServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await ViewerServer.StartAsync(new ViewRequest(run.RunDirectory), new ViewerOptions(), _ => { });
        _http = new HttpClient { BaseAddress = _server.Address };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<JsonElement> Json(string url) =>
        JsonDocument.Parse(await _http.GetStringAsync(url)).RootElement.Clone();

    private async Task<RgbImage> Image(string url)
    {
        var path = Path.Combine(TestTemp.Folder("viewer-tile").FullName, Path.GetFileName(url));
        await File.WriteAllBytesAsync(path, await _http.GetByteArrayAsync(url));
        return RgbImageReader.Read(path);
    }

    [Fact]
    public async Task TheRunListsItsTestImagesWithTheirCallsAndTheDefaultLayerIsTheSharedTumourEvidence()
    {
        var json = await Json("api/run");
        var items = json.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(run.Result.Metrics.Test!.Images, items.Count);
        Assert.Equal(["malignant"], json.GetProperty("tumour_classes").EnumerateArray().Select(e => e.GetString()));
        var first = json.GetProperty("layers")[0];
        Assert.Equal("evidence", first.GetProperty("id").GetString());
        Assert.Equal("shared by all items", first.GetProperty("normalization").GetString());
        Assert.True(first.GetProperty("scale_top").GetDouble() > 0);
        Assert.Contains(json.GetProperty("layers").EnumerateArray(), l => l.GetProperty("id").GetString() == "mask");
        Assert.All(items, i => Assert.InRange(i.GetProperty("p").GetDouble(), 0, 1));
        var index = await _http.GetStringAsync("");
        Assert.Contains("/static/index.js", index);
        Assert.Contains("OpenSeadragon", await _http.GetStringAsync("static/viewer.js"));
    }

    [Fact]
    public async Task TheDeepZoomDescriptorAndTilesMatchThePreparedImage()
    {
        var item = await Json("api/items/0");
        int width = item.GetProperty("width").GetInt32(),
            height = item.GetProperty("height").GetInt32(),
            max = item.GetProperty("max_level").GetInt32();
        var dzi = await _http.GetStringAsync("dzi/0.dzi");
        Assert.Contains($"Width=\"{width}\" Height=\"{height}\"", dzi);
        Assert.Contains("TileSize=\"256\"", dzi);
        Assert.Equal((int)Math.Ceiling(Math.Log2(Math.Max(width, height))), max);

        // A full-resolution tile is the image's own pixels (JPEG: within a few grey levels on average).
        var tile = await Image($"dzi/0_files/{max}/0_0.jpg");
        Assert.Equal((Math.Min(256, width), Math.Min(256, height)), (tile.Width, tile.Height));
        var scored = run.Model.Score([Find(item.GetProperty("name").GetString()!)]).Single();
        var prepared = scored.Prepare(RgbImageReader.Read(scored.Path));
        double difference = 0;
        for (int y = 0; y < tile.Height; y++)
        for (int x = 0; x < tile.Width; x++)
        for (int c = 0; c < 3; c++)
            difference += Math.Abs(tile[x, y, c] - prepared[x, y, c]);
        Assert.InRange(difference / (tile.Width * tile.Height * 3), 0, 6);
        // The coarsest level is one pixel; the edge tiles are as large as what is left.
        var top = await Image("dzi/0_files/0/0_0.jpg");
        Assert.Equal((1, 1), (top.Width, top.Height));
        if (width > 256)
        {
            var edge = await Image($"dzi/0_files/{max}/{(width - 1) / 256}_0.jpg");
            Assert.Equal(width - (width - 1) / 256 * 256, edge.Width);
        }
    }

    private string Find(string name) =>
        Directory.EnumerateFiles(run.DataRoot, name, SearchOption.AllDirectories).First(p => !p.Contains("/masks/"));

    [Fact]
    public async Task AnOverlayTileIsHotWhereTheMapIsHighAndClearWhereItIsNot()
    {
        var runJson = await Json("api/run");
        var malignant = runJson
            .GetProperty("items")
            .EnumerateArray()
            .Where(i => i.GetProperty("predicted").GetString() == "malignant")
            .OrderByDescending(i => i.GetProperty("p").GetDouble())
            .First();
        int id = malignant.GetProperty("id").GetInt32();
        var item = await Json($"api/items/{id}");
        int max = item.GetProperty("max_level").GetInt32(),
            side = item.GetProperty("patch_side").GetInt32();
        var values = item.GetProperty("values")
            .GetProperty("evidence")
            .EnumerateArray()
            .Select(v => v.GetDouble())
            .ToList();
        var xs = item.GetProperty("x").EnumerateArray().Select(v => v.GetInt32()).ToList();
        var ys = item.GetProperty("y").EnumerateArray().Select(v => v.GetInt32()).ToList();
        int hot = values.IndexOf(values.Max()),
            cold = values.IndexOf(values.Min());
        var bytes = await _http.GetByteArrayAsync($"overlay/{id}/evidence/{max}/{xs[hot] / 256}_{ys[hot] / 256}.png");
        var (r, g, b, a) = Pixel(bytes, xs[hot] % 256 + side / 2, ys[hot] % 256 + side / 2);
        Assert.Equal(255, a);
        // The top of the jet scale is dark red.
        Assert.True(r > 100 && g < 80 && b < 80, $"the hottest patch is drawn ({r}, {g}, {b}), not in the hot end");
        if (values[cold] <= 0.01 * values.Max())
        {
            var coldTile = await _http.GetByteArrayAsync(
                $"overlay/{id}/evidence/{max}/{xs[cold] / 256}_{ys[cold] / 256}.png"
            );
            Assert.Equal(0, Pixel(coldTile, xs[cold] % 256 + side / 2, ys[cold] % 256 + side / 2).A);
        }
    }

    private static (int R, int G, int B, int A) Pixel(byte[] png, int x, int y)
    {
        using var bitmap = SkiaSharp.SKBitmap.Decode(png);
        var c = bitmap.GetPixel(x, y);
        return (c.Red, c.Green, c.Blue, c.Alpha);
    }

    [Theory]
    [InlineData("static/..%2F..%2F..%2Fetc%2Fpasswd")]
    [InlineData("static/%2e%2e%2f%2e%2e%2fetc%2fpasswd")]
    [InlineData("static/%2Fetc%2Fpasswd")]
    [InlineData("static/viewer.html")]
    [InlineData("dzi/..%2F..%2Fetc%2Fpasswd.dzi")]
    [InlineData("dzi/%2Fetc%2Fpasswd")]
    [InlineData("dzi/0/3/0_0.jpg")]
    [InlineData("dzi/..%2F0_files/3/0_0.jpg")]
    [InlineData("dzi/99999.dzi")]
    [InlineData("dzi/-1.dzi")]
    [InlineData("dzi/0_files/99/0_0.jpg")]
    [InlineData("dzi/0_files/0/1_0.jpg")]
    [InlineData("dzi/0_files/3/0_0.png")]
    [InlineData("dzi/0_files/3/0_0_0.jpg")]
    [InlineData("dzi/0_files/3/a_0.jpg")]
    [InlineData("dzi/0_files/-1/0_0.jpg")]
    [InlineData("dzi/0_files/3/99999999999999_0.jpg")]
    [InlineData("overlay/0/no-such-layer/3/0_0.png")]
    [InlineData("overlay/0/..%2F..%2Fevidence/3/0_0.png")]
    [InlineData("api/items/abc")]
    [InlineData("api/items/1e3")]
    [InlineData("item/100000")]
    [InlineData("no/such/page")]
    public async Task EveryRefusedAddressIsA400Or404WithoutAStackTrace(string url)
    {
        using var response = await _http.GetAsync(url);
        Assert.True(
            response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest,
            $"{url}: {(int)response.StatusCode}"
        );
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("Exception", body);
        Assert.DoesNotContain("root:", body);
    }

    [Fact]
    public void APredictFolderIsViewedAsPredictedAndFilesNeedAModel()
    {
        var images = run.SomeImages(3);
        var folder = Path.Combine(TestTemp.Folder("viewer-predict").FullName, "out");
        PredictJob.Run(
            Path.Combine(run.RunDirectory, "model.zip"),
            Path.GetDirectoryName(images[0])!,
            folder,
            _ => { }
        );
        var set = ViewSources.Load(new ViewRequest(folder), _ => { });
        var scored = run.Model.Score([set.Items[0].FilePath]).Single();
        Assert.Equal(scored.Map, set.Items[0].Scored.Map);
        Assert.Equal(scored.Coordinates, set.Items[0].Scored.Coordinates);
        Assert.Equal(scored.Frame, set.Items[0].Scored.Frame);
        Assert.Equal(["benign", "malignant"], set.Classes);
        var noModel = Assert.Throws<ArgumentException>(() => ViewSources.Load(new ViewRequest(images[0]), _ => { }));
        Assert.Contains("give a model.zip", noModel.Message);
        var nothing = Assert.Throws<ArgumentException>(() =>
            ViewSources.Load(new ViewRequest(TestTemp.Folder("viewer-empty").FullName), _ => { })
        );
        Assert.Contains("neither a run folder", nothing.Message);
    }

    [Fact]
    public async Task TheGeoJsonCarriesEveryPatchWithEveryLayersValue()
    {
        var item = await Json("api/items/0");
        var geojson = await Json("api/items/0/geojson");
        var features = geojson.GetProperty("features").EnumerateArray().ToList();
        Assert.Equal(item.GetProperty("x").GetArrayLength(), features.Count);
        var measurements = features[0].GetProperty("properties").GetProperty("measurements");
        Assert.True(measurements.TryGetProperty("tumour evidence (attention × p(malignant))", out _));
    }
}

/// <summary>What the viewer reads from disk, and how much memory it keeps.</summary>
public sealed class ViewerSafetyTests
{
    [Fact]
    public void AFileOrALinkThatLeadsOutOfTheFoldersGivenIsNotServed()
    {
        var root = TestTemp.Folder("viewer-root").FullName;
        var outside = TestTemp.Folder("viewer-outside").FullName;
        File.WriteAllText(Path.Combine(outside, "secret.png"), "x");
        File.WriteAllText(Path.Combine(root, "inside.png"), "x");
        File.CreateSymbolicLink(Path.Combine(root, "link.png"), Path.Combine(outside, "secret.png"));
        Directory.CreateSymbolicLink(Path.Combine(root, "folder"), outside);
        var warnings = new List<string>();
        Assert.True(ViewSources.Allowed(Path.Combine(root, "inside.png"), [root], warnings.Add));
        Assert.False(ViewSources.Allowed(Path.Combine(root, "link.png"), [root], warnings.Add));
        Assert.False(ViewSources.Allowed(Path.Combine(root, "folder", "secret.png"), [root], warnings.Add));
        Assert.False(
            ViewSources.Allowed(Path.Combine(root, "..", Path.GetFileName(outside), "secret.png"), [root], warnings.Add)
        );
        Assert.False(ViewSources.Allowed("/etc/passwd", [root], warnings.Add));
        Assert.Equal(4, warnings.Count);
        Assert.All(warnings, w => Assert.Contains("not served", w));
    }

    [Fact]
    public void TheTileCacheStaysUnderItsCap()
    {
        var cache = new TileCache(10_000);
        for (int i = 0; i < 100; i++)
            cache.Add($"tile{i}", new byte[1_000]);
        Assert.InRange(cache.Bytes, 1, 10_000);
        Assert.True(cache.TryGet("tile99", out _));
        Assert.False(cache.TryGet("tile0", out _));
        cache.Add("huge", new byte[20_000]); // larger than the cap: never kept
        Assert.False(cache.TryGet("huge", out _));
    }

    [Fact]
    public void TumourClassesComeFromTheNamesUnlessGiven()
    {
        Assert.Equal(["malignant"], TumourClasses.Of(["benign", "malignant"]));
        Assert.Equal(["tumor"], TumourClasses.Of(["normal", "tumor"]));
        Assert.Equal(["InSitu", "Invasive"], TumourClasses.Of(["Benign", "InSitu", "Invasive", "Normal"]));
        Assert.Equal(["light"], TumourClasses.Of(["dark", "light"]));
        Assert.Equal(["dark"], TumourClasses.Of(["dark", "light"], ["dark"]));
        Assert.Throws<ArgumentException>(() => TumourClasses.Of(["a", "b"], ["c"]));
    }
}

/// <summary>The default map: the evidence for the tumour classes on one scale for every item.</summary>
public sealed class TumourEvidenceTests
{
    private static ScoredImage Scored(float pMalignant, float[] attention, MapKind kind = MapKind.Attention) =>
        new(
            "x.png",
            pMalignant > 0.5f ? 1 : 0,
            [1 - pMalignant, pMalignant],
            attention,
            new int[attention.Length * 2],
            new Transforms.Bagging.BagLayout(3, 28, 28, 1, attention.Length, 0, 0, 28 * attention.Length, 28),
            kind
        );

    [Fact]
    public void ABenignCallStaysCoolOnTheSharedScaleWhereAPerImageMinMaxWouldGlow()
    {
        string[] classes = ["benign", "malignant"];
        // The same concentrated attention; only the call differs.
        var benign = Scored(0.01f, [0.7f, 0.1f, 0.1f, 0.1f]);
        var malignant = Scored(0.99f, [0.7f, 0.1f, 0.1f, 0.1f]);
        var values = new[] { benign, malignant }.Select(s => TumourEvidence.Values(s, classes, ["malignant"])).ToList();
        float top = TumourEvidence.SharedTop(values);
        Assert.Equal(0.7f * 4 * 0.99f, top, 4); // N·a × p: 1 would be a uniform share
        Assert.True(TumourEvidence.OnScale(values[0], top).Max() < 0.02f);
        Assert.Equal(1f, TumourEvidence.OnScale(values[1], top).Max(), 4);
        Assert.Equal(1f, MapNormalizer.Apply(benign.Map, MapNormalization.MinMax).Max()); // what minmax would show
        Assert.Equal("attention × p(malignant)", TumourEvidence.Describe(MapKind.Attention, ["malignant"]));
    }

    [Fact]
    public void ClassAwareModelsShowTheTumourClassesOwnMap()
    {
        var additive = Scored(0.9f, [0.5f, -0.2f], MapKind.Contribution) with { ClassMaps = [0.1f, 0.3f, 0.5f, -0.2f] };
        Assert.Equal([0.5f, -0.2f], TumourEvidence.Values(additive, ["benign", "malignant"], ["malignant"]));
        Assert.Equal("contribution of malignant", TumourEvidence.Describe(MapKind.Contribution, ["malignant"]));
    }
}
