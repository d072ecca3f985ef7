using System.Diagnostics;
using System.Text.Json;
using Amil.MLNet.Viewer;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>The viewer as a person meets it, in Debian's Chromium (headless, driven by playwright-core): the index
/// lists the items, the viewer's first tiles arrive, no console errors, the tumour focus is drawn hot and a cool area
/// is not, another layer can be chosen, and a click reads the patch's values. Its screenshot is the README's
/// (AMIL_WRITE_SCREENSHOT=1 writes docs/viewer.png).</summary>
[Collection("trained")]
public sealed class ViewerBrowserTests(TrainedRunFixture run)
{
    private static string Chromium => Environment.GetEnvironmentVariable("AMIL_CHROMIUM") ?? "/usr/bin/chromium";

    private static string Driver => Path.Combine(Programs.RepoRoot(), "tests", "Amil.MLNet.Tests", "Browser");

    [SkippableFact]
    [Trait("Category", "Slow")]
    public async Task TheViewerOpensShowsTheFocusHotAndReadsAPatchOnClick()
    {
        Skip.IfNot(
            File.Exists(Chromium),
            $"no Chromium at {Chromium} (apt-get install chromium, or set AMIL_CHROMIUM)"
        );
        Skip.IfNot(
            File.Exists(Path.Combine(Driver, "node_modules", "playwright-core", "package.json")),
            "playwright-core is not restored (npm ci in tests/Amil.MLNet.Tests/Browser; the build does it when npm "
                + "is installed)"
        );
        await using var server = await ViewerServer.StartAsync(
            new ViewRequest(run.RunDirectory),
            new ViewerOptions(),
            _ => { }
        );
        using var http = new HttpClient { BaseAddress = server.Address };
        using var runJson = JsonDocument.Parse(await http.GetStringAsync("api/run"));
        var target = runJson
            .RootElement.GetProperty("items")
            .EnumerateArray()
            .Where(i => i.GetProperty("predicted").GetString() == "malignant" && i.GetProperty("has_mask").GetBoolean())
            .OrderByDescending(i => i.GetProperty("p").GetDouble())
            .First();
        int id = target.GetProperty("id").GetInt32();
        using var itemJson = JsonDocument.Parse(await http.GetStringAsync($"api/items/{id}"));
        var item = itemJson.RootElement;
        var evidence = item.GetProperty("values")
            .GetProperty("evidence")
            .EnumerateArray()
            .Select(v => v.GetDouble())
            .ToList();
        int hot = evidence.IndexOf(evidence.Max()),
            cool = evidence.IndexOf(evidence.Min()),
            side = item.GetProperty("patch_side").GetInt32();
        int X(int k) => item.GetProperty("x")[k].GetInt32() + side / 2;
        int Y(int k) => item.GetProperty("y")[k].GetInt32() + side / 2;
        string screenshot = Path.Combine(TestTemp.Folder("viewer-browser").FullName, "viewer.png");

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = Driver,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (
            var a in new[]
            {
                "viewer-check.mjs",
                server.Address.ToString(),
                $"{id}",
                $"{X(hot)}",
                $"{Y(hot)}",
                $"{X(cool)}",
                $"{Y(cool)}",
                screenshot,
            }
        )
            start.ArgumentList.Add(a);
        start.Environment["AMIL_CHROMIUM"] = Chromium;
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        Assert.True(node.WaitForExit(TimeSpan.FromMinutes(3)), "the browser did not finish");
        var output = (await stdout).Trim().Split('\n').Last();
        Assert.True(node.ExitCode == 0 && output.StartsWith('{'), $"node: {await stderr}\n{await stdout}");
        var seen = JsonDocument.Parse(output).RootElement;
        Assert.False(seen.TryGetProperty("error", out var error), error.ToString());

        Assert.Equal(
            runJson.RootElement.GetProperty("items").GetArrayLength(),
            seen.GetProperty("indexRows").GetInt32()
        );
        Assert.True(
            seen.GetProperty("consoleErrors").GetArrayLength() == 0
                && seen.GetProperty("failedRequests").GetArrayLength() == 0,
            $"console errors or failed requests: {seen.GetProperty("consoleErrors")} "
                + $"{seen.GetProperty("failedRequests")}"
        );
        Assert.InRange(seen.GetProperty("firstTileMs").GetDouble(), 0, 20_000);
        // Over the tumour focus the overlay's hot end shows (jet's red, at half opacity over the tissue); over the
        // coolest patch it does not.
        var h = seen.GetProperty("hot").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var c = seen.GetProperty("cool").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        Assert.True(h[0] > h[2] + 40 && h[0] > h[1] + 20, $"hot patch drawn ({string.Join(", ", h)})");
        Assert.False(c[0] > c[2] + 40 && c[0] > c[1] + 20, $"cool patch drawn hot ({string.Join(", ", c)})");
        Assert.Equal("map", seen.GetProperty("layerShown").GetString());
        Assert.Equal(
            $"{item.GetProperty("x")[hot].GetInt32()}, {item.GetProperty("y")[hot].GetInt32()}",
            seen.GetProperty("patchXY").GetString()
        );
        Assert.True(
            float.TryParse(
                seen.GetProperty("patchValue").GetString(),
                System.Globalization.CultureInfo.InvariantCulture,
                out _
            )
        );
        Assert.True(new FileInfo(screenshot).Length > 10_000);
        if (Environment.GetEnvironmentVariable("AMIL_WRITE_SCREENSHOT") == "1")
            File.Copy(screenshot, Path.Combine(Programs.RepoRoot(), "docs", "viewer.png"), overwrite: true);
    }
}
