using System.Diagnostics;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Bagging;

namespace Amil.MLNet.Viewer;

/// <summary>`amil bench --viewer-slide`: the viewer's speed and memory on one slide, over HTTP as a browser asks.
/// The map is a seeded pseudo-random value per tissue tile (serving speed does not depend on what the values
/// are).</summary>
public static class ViewerBench
{
    /// <summary>The figures, in milliseconds and MB.</summary>
    public sealed record Report(
        string Slide,
        int Width,
        int Height,
        int Tiles,
        int Requests,
        double ColdBaseMedianMs,
        double ColdOverlayMedianMs,
        double CachedMedianMs,
        int Concurrent,
        double ConcurrentMedianMs,
        double PeakRssMb,
        double SetupSeconds
    );

    public static async Task<Report> RunAsync(string slidePath, int requests, Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        log($"Planning the tiles of {slidePath}…");
        var random = new Random(7);
        var (set, tiles, width, height) = BenchSet(slidePath, random);
        await using var server = await ViewerServer.StartAsync(set, new ViewerOptions());
        double setup = clock.Elapsed.TotalSeconds;
        log($"{tiles.Count} tiles; serving at {server.Address}.");
        using var http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(5) };
        async Task<double> Time(string url)
        {
            var watch = Stopwatch.StartNew();
            using var response = await http.GetAsync(url);
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
            return watch.Elapsed.TotalMilliseconds;
        }
        string Base((int L, int C, int R) a) => $"dzi/0_files/{a.L}/{a.C}_{a.R}.jpg";
        string Overlay((int L, int C, int R) a) => $"overlay/0/evidence/{a.L}/{a.C}_{a.R}.png";

        var pyramid = new Pyramid(width, height);
        var addresses = Addresses(pyramid, tiles, requests, random);
        await Time(Base(addresses[0])); // opens the slide: not a tile's cost
        var coldBase = new List<double>();
        var coldOverlay = new List<double>();
        foreach (var a in addresses.Skip(1))
        {
            coldBase.Add(await Time(Base(a)));
            coldOverlay.Add(await Time(Overlay(a)));
        }
        var cached = new List<double>();
        foreach (var a in addresses.Skip(1))
        {
            cached.Add(await Time(Base(a)));
            cached.Add(await Time(Overlay(a)));
        }
        log($"Cold and cached tiles timed; now {Concurrent} at once…");
        // 50 requests at a time (25 tiles not asked for yet, base and overlay), while the peak memory is read.
        var together = new List<double>();
        foreach (var wave in Fresh(pyramid, addresses, width, height).Chunk(Concurrent / 2))
            together.AddRange(await Task.WhenAll(wave.SelectMany(a => new[] { Time(Base(a)), Time(Overlay(a)) })));
        return new Report(
            slidePath,
            width,
            height,
            tiles.Count,
            coldBase.Count,
            Median(coldBase),
            Median(coldOverlay),
            Median(cached),
            Concurrent,
            Median(together),
            Math.Round(PeakRssMb(), 0),
            Math.Round(setup, 1)
        );
    }

    private const int Concurrent = 50;

    /// <summary>The slide as the viewer would show a scored one: its tissue tiles with a seeded random map.</summary>
    private static (ViewSet Set, IReadOnlyList<SlideTile> Tiles, int Width, int Height) BenchSet(
        string slidePath,
        Random random
    )
    {
        IReadOnlyList<SlideTile> tiles;
        int width,
            height;
        using (var slide = SlideImage.Open(slidePath))
        {
            (width, height) = (slide.Width, slide.Height);
            tiles = SlideTiling.Plan(slide, TissueMap.Detect(slide), new SlideTilesOptions().Tiling);
        }
        int side = tiles.Count > 0 ? tiles[0].Side : 448;
        var scored = new ScoredImage(
            slidePath,
            1,
            [0.1f, 0.9f],
            tiles.Select(_ => (float)random.NextDouble() / tiles.Count).ToArray(),
            tiles.SelectMany(t => new[] { t.X, t.Y }).ToArray(),
            new BagLayout(3, side, side, 1, tiles.Count, 0, 0, side * tiles.Count, side),
            MapKind.Attention
        );
        var item = new ViewItem(
            0,
            Path.GetFileName(slidePath),
            slidePath,
            ModelInput.Slides,
            scored,
            width,
            height,
            null,
            null
        );
        var set = new ViewSet("bench", [item], ["normal", "tumor"], MapKind.Attention, ["tumor"], null);
        return (set, tiles, width, height);
    }

    /// <summary>Tiles a person looks at: the levels from a screenful of the whole slide down to full resolution, over
    /// tissue, each once.</summary>
    private static List<(int Level, int Column, int Row)> Addresses(
        Pyramid pyramid,
        IReadOnlyList<SlideTile> tiles,
        int requests,
        Random random
    )
    {
        var addresses = new List<(int Level, int Column, int Row)>();
        while (addresses.Count < requests)
        {
            var t = tiles[random.Next(tiles.Count)];
            int level = pyramid.MaxLevel - random.Next(0, 6);
            double scale = pyramid.Scale(level);
            var address = (level, (int)(t.X / scale / Pyramid.TileSize), (int)(t.Y / scale / Pyramid.TileSize));
            if (pyramid.Has(address.level, address.Item2, address.Item3) && !addresses.Contains(address))
                addresses.Add(address);
        }
        return addresses;
    }

    /// <summary>Full-resolution tiles not asked for yet, enough for four waves of concurrent requests.</summary>
    private static List<(int, int, int)> Fresh(
        Pyramid pyramid,
        List<(int Level, int Column, int Row)> addresses,
        int width,
        int height
    )
    {
        var fresh = new List<(int, int, int)>();
        int level0 = pyramid.MaxLevel;
        for (int row = 0; fresh.Count < Concurrent * 4 && row * Pyramid.TileSize < height; row += 3)
        for (int col = 0; fresh.Count < Concurrent * 4 && col * Pyramid.TileSize < width; col += 3)
            if (!addresses.Contains((level0, col, row)))
                fresh.Add((level0, col, row));
        return fresh;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return Math.Round(sorted.Count == 0 ? 0 : sorted[sorted.Count / 2], 2);
    }

    /// <summary>The process's peak resident memory (VmHWM), in MB.</summary>
    private static double PeakRssMb()
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
            foreach (var line in File.ReadLines(status))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
        return Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
    }
}
