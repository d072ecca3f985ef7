using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text.Json;
using Amil.MLNet.Maps.Heatmaps;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Amil.MLNet.Viewer;

/// <summary>Where and how the viewer listens.</summary>
/// <param name="Host">The address to listen on: loopback unless asked otherwise.</param>
/// <param name="Port">0 picks a free port.</param>
/// <param name="TileCacheBytes">The encoded-tile cache's cap. Default 256 MB.</param>
public sealed record ViewerOptions(string Host = "127.0.0.1", int Port = 0, long TileCacheBytes = 256L << 20);

/// <summary>
/// The `amil view` web app: pages (index, viewer), a JSON API (the run, an item with its per-patch values), Deep Zoom
/// tiles of each item (its own pyramid, read on the fly) and overlay tiles (the maps, the mask and tissue outlines).
/// Everything is addressed by item number and layer name, never by a path from the request; every tile address is
/// checked and answered 400 or 404, never with an exception page.
/// </summary>
public sealed class ViewerServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };
    private readonly WebApplication _app;
    private readonly ViewSet _set;
    private readonly ViewLayers _layers;
    private readonly ItemPixels _pixels = new();
    private readonly OverlayPainter _painter = new();
    private readonly TileCache _tiles;
    private readonly Colormap _colormap = Colormap.Parse("jet");

    private ViewerServer(WebApplication app, ViewSet set, ViewerOptions options)
    {
        _app = app;
        _set = set;
        _layers = new ViewLayers(set);
        _tiles = new TileCache(options.TileCacheBytes);
    }

    /// <summary>The address it listens on, e.g. http://127.0.0.1:41234/.</summary>
    public Uri Address { get; private set; } = new("http://127.0.0.1/");

    /// <summary>Items served.</summary>
    public int Items => _set.Items.Count;

    /// <summary>Scores what <paramref name="request"/> names and starts listening.</summary>
    public static async Task<ViewerServer> StartAsync(ViewRequest request, ViewerOptions options, Action<string> log)
    {
        var set = ViewSources.Load(request, log);
        return await StartAsync(set, options);
    }

    internal static async Task<ViewerServer> StartAsync(ViewSet set, ViewerOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder(
            new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory }
        );
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, CallerLifetime>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (IPAddress.TryParse(options.Host, out var ip))
                k.Listen(ip, options.Port);
            else if (options.Host == "localhost")
                k.ListenLocalhost(options.Port);
            else
                throw new ArgumentException(
                    $"'{options.Host}' is not an IP address to listen on (e.g. 127.0.0.1, 0.0.0.0)."
                );
        });
        var app = builder.Build();
        var server = new ViewerServer(app, set, options);
        server.Map();
        await app.StartAsync();
        var address = app
            .Services.GetRequiredService<IServer>()
            .Features.Get<IServerAddressesFeature>()!
            .Addresses.First();
        server.Address = new Uri(address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
        return server;
    }

    private void Map()
    {
        _app.Use(
            async (context, next) =>
            {
                try
                {
                    await next(context);
                }
                catch (Exception e) when (!context.Response.HasStarted)
                {
                    // Never a stack trace on the wire: the user's side gets a line, the console the cause.
                    Console.Error.WriteLine($"viewer: {context.Request.Path}: {e.GetType().Name}: {e.Message}");
                    context.Response.Clear();
                    context.Response.StatusCode = e is ArgumentException or FormatException ? 400 : 500;
                    await context.Response.WriteAsync(
                        context.Response.StatusCode == 400 ? "bad request" : "the viewer could not draw this"
                    );
                }
            }
        );
        _app.MapGet("/", () => Page("index.html"));
        _app.MapGet("/item/{id}", (string id) => Item(id) is null ? NotFound() : Page("viewer.html"));
        _app.MapGet("/static/{name}", (string name) => Static(name));
        _app.MapGet("/api/run", () => Results.Json(RunJson(), Json));
        _app.MapGet(
            "/api/items/{id}",
            (string id) => Item(id) is { } item ? Results.Json(ItemJson(item), Json) : NotFound()
        );
        _app.MapGet("/api/items/{id}/geojson", (string id) => Item(id) is { } item ? GeoJson(item) : NotFound());
        _app.MapGet("/report", () => _set.ReportPath is { } report ? Results.File(report, "text/html") : NotFound());
        _app.MapGet("/dzi/{file}", (string file) => Descriptor(file));
        // Deep Zoom's own naming: ID.dzi describes the pyramid, ID_files/LEVEL/COLUMN_ROW.jpg are its tiles.
        _app.MapGet(
            "/dzi/{files}/{level}/{tile}",
            (string files, string level, string tile) =>
                files.EndsWith("_files", StringComparison.Ordinal) ? BaseTile(files[..^6], level, tile) : NotFound()
        );
        _app.MapGet(
            "/overlay/{id}/{layer}/{level}/{tile}",
            (string id, string layer, string level, string tile) => OverlayTile(id, layer, level, tile)
        );
    }

    private static IResult NotFound() => Results.NotFound("not found");

    private static IResult BadRequest(string why) => Results.BadRequest(why);

    private ViewItem? Item(string id) =>
        int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out int i) && i >= 0 && i < _set.Items.Count
            ? _set.Items[i]
            : null;

    private IResult Descriptor(string file)
    {
        if (!file.EndsWith(".dzi", StringComparison.Ordinal) || Item(file[..^4]) is not { } item)
            return NotFound();
        return Results.Text(new Pyramid(item.Width, item.Height).Descriptor("jpg"), "application/xml");
    }

    /// <summary>Parses "/{level}/{col}_{row}.{ext}" and checks it against the item's pyramid.</summary>
    private IResult? CheckTile(
        string id,
        string level,
        string tile,
        string ext,
        out ViewItem item,
        out int l,
        out int c,
        out int r
    )
    {
        item = null!;
        l = c = r = 0;
        if (Item(id) is not { } found)
            return NotFound();
        item = found;
        if (!tile.EndsWith("." + ext, StringComparison.Ordinal))
            return NotFound();
        var parts = tile[..^(ext.Length + 1)].Split('_');
        if (
            parts.Length != 2
            || !int.TryParse(level, NumberStyles.None, CultureInfo.InvariantCulture, out l)
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out c)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out r)
        )
            return BadRequest("a tile is LEVEL/COLUMN_ROW." + ext + " with whole numbers");
        return new Pyramid(item.Width, item.Height).Has(l, c, r) ? null : NotFound();
    }

    private IResult BaseTile(string id, string level, string tile)
    {
        if (CheckTile(id, level, tile, "jpg", out var item, out int l, out int c, out int r) is { } refused)
            return refused;
        string key = $"{item.Id}/{l}/{c}_{r}";
        if (!_tiles.TryGet(key, out var bytes))
        {
            var pyramid = new Pyramid(item.Width, item.Height);
            var (w, h) = pyramid.TilePixels(l, c, r);
            bytes = OverlayPainter.Jpeg(_pixels.Read(item, pyramid.Region(l, c, r), w, h));
            _tiles.Add(key, bytes);
        }
        return Results.Bytes(bytes, "image/jpeg");
    }

    private IResult OverlayTile(string id, string layer, string level, string tile)
    {
        if (CheckTile(id, level, tile, "png", out var item, out int l, out int c, out int r) is { } refused)
            return refused;
        if (_layers.Find(layer) is null)
            return NotFound();
        string key = $"{item.Id}/{layer}/{l}/{c}_{r}";
        if (!_tiles.TryGet(key, out var bytes))
        {
            var pyramid = new Pyramid(item.Width, item.Height);
            var (w, h) = pyramid.TilePixels(l, c, r);
            var region = pyramid.Region(l, c, r);
            bytes =
                layer switch
                {
                    ViewLayers.Mask => _painter.Outline(item, layer, region, w, h, (0, 255, 0)),
                    ViewLayers.Tissue => _painter.Outline(item, layer, region, w, h, (40, 90, 255)),
                    ViewLayers.Quality => _painter.Outline(item, layer, region, w, h, (230, 40, 40)),
                    _ => OverlayPainter.Map(item, _layers.Normalized(item, layer), _colormap, region, w, h),
                } ?? OverlayPainter.Map(item, [], _colormap, region, w, h);
            _tiles.Add(key, bytes);
        }
        return Results.Bytes(bytes, "image/png");
    }

    private object RunJson() =>
        new
        {
            title = _set.Title,
            classes = _set.Classes,
            map = _set.MapKind.Name(),
            tumour_classes = _set.TumourClasses,
            report = _set.ReportPath is not null,
            colormap = Enumerable.Range(0, 11).Select(i => Hex(_colormap[i / 10f])).ToArray(),
            layers = _layers.All.Select(l => new
            {
                l.Id,
                l.Title,
                l.Normalization,
                legend = _layers.Legend(l.Id),
                scale_top = _layers.ScaleTop(l.Id),
            }),
            items = _set.Items.Select(i => new
            {
                i.Id,
                i.Name,
                kind = i.Kind == ModelInput.Slides ? "slide" : "image",
                label = i.Label,
                predicted = _set.Classes[i.Scored.PredictedIndex],
                p = i.Scored.Probabilities[i.Scored.PredictedIndex],
                p_true = i.Label is { } t && _set.Classes.ToList().IndexOf(t) is var k and >= 0
                    ? i.Scored.Probabilities[k]
                    : (float?)null,
                correct = i.Correct(_set.Classes),
                has_mask = i.MaskPath is not null,
                patches = i.Scored.Map.Length,
            }),
        };

    private object ItemJson(ViewItem item)
    {
        var s = item.Scored;
        var pyramid = new Pyramid(item.Width, item.Height);
        return new
        {
            item.Id,
            item.Name,
            kind = item.Kind == ModelInput.Slides ? "slide" : "image",
            item.Width,
            item.Height,
            tile_size = Pyramid.TileSize,
            max_level = pyramid.MaxLevel,
            label = item.Label,
            predicted = _set.Classes[s.PredictedIndex],
            probabilities = _set.Classes.Select((c, k) => new { @class = c, p = s.Probabilities[k] }),
            patch_side = s.PatchSize,
            x = Enumerable.Range(0, s.Map.Length).Select(k => s.Coordinates[2 * k]),
            y = Enumerable.Range(0, s.Map.Length).Select(k => s.Coordinates[2 * k + 1]),
            values = _layers
                .All.Where(l => l.Normalization != "outline")
                .ToDictionary(l => l.Id, l => _layers.Raw(item, l.Id).Select(Finite)),
            class_values = _set.Classes.ToDictionary(
                c => c,
                c => (s.ClassMaps is not null ? s.MapOf(_set.Classes.ToList().IndexOf(c)) : s.Map).Select(Finite)
            ),
            has_mask = item.MaskPath is not null,
            previous = item.Id > 0 ? item.Id - 1 : (int?)null,
            next = item.Id + 1 < _set.Items.Count ? item.Id + 1 : (int?)null,
        };
    }

    private static float Finite(float v) => float.IsFinite(v) ? v : 0f;

    /// <summary>The item's tiles for QuPath, in the original file's pixels (the one writer the heatmaps use too),
    /// with every layer's values as measurements.</summary>
    private IResult GeoJson(ViewItem item)
    {
        var s = item.Scored;
        var layers = _layers
            .All.Where(l => l.Normalization != "outline")
            .Select(l => (l.Title, _layers.Raw(item, l.Id)))
            .ToList();
        var (width, height) = item.Original;
        var json = QuPathTiles.Build(s.Coordinates, s.PatchSize, layers, s.Frame, width, height);
        var body = System.Text.Encoding.UTF8.GetBytes(QuPathTiles.ToJson(json));
        return Results.File(body, "application/geo+json", Path.ChangeExtension(item.Name, ".geojson"));
    }

    private static string Hex((byte R, byte G, byte B) c) => $"#{c.R:x2}{c.G:x2}{c.B:x2}";

    private static readonly Dictionary<string, string> StaticTypes = new(StringComparer.Ordinal)
    {
        ["viewer.js"] = "text/javascript",
        ["index.js"] = "text/javascript",
        ["style.css"] = "text/css",
        ["openseadragon.min.js"] = "text/javascript",
    };

    /// <summary>Only the app's own embedded files, by exact name: nothing on disk is reachable from here.</summary>
    private static IResult Static(string name) =>
        StaticTypes.TryGetValue(name, out var type) && Resource(name) is { } bytes
            ? Results.Bytes(bytes, type)
            : NotFound();

    private static IResult Page(string name) =>
        Resource(name) is { } bytes ? Results.Bytes(bytes, "text/html; charset=utf-8") : NotFound();

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]?> Resources = new();

    /// <summary>An embedded file of the app, read from the assembly once.</summary>
    internal static byte[]? Resource(string name) =>
        Resources.GetOrAdd(
            name,
            n =>
            {
                using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("www/" + n);
                if (stream is null)
                    return null;
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                return copy.ToArray();
            }
        );

    /// <summary>Serves until <paramref name="stop"/> fires.</summary>
    public async Task RunUntilAsync(CancellationToken stop)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, stop);
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _pixels.Dispose();
    }
}
