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
        SkipWithoutBrowser();
        await using var server = await ViewerServer.StartAsync(
            new ViewRequest(run.RunDirectory),
            new ViewerOptions(),
            _ => { }
        );
        string screenshot = await OpenInChromium(server, "malignant");
        if (Environment.GetEnvironmentVariable("AMIL_WRITE_SCREENSHOT") == "1")
            File.Copy(screenshot, Path.Combine(Programs.RepoRoot(), "docs", "viewer.png"), overwrite: true);
    }

    /// <summary>Says the test was skipped, and why, where Chromium or the driver is missing.</summary>
    internal static void SkipWithoutBrowser()
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
    }

    /// <summary>Opens the most confident <paramref name="tumour"/> call with a mask in Chromium and asserts what a
    /// person would see; returns the screenshot's path.</summary>
    internal static async Task<string> OpenInChromium(ViewerServer server, string tumour)
    {
        using var http = new HttpClient { BaseAddress = server.Address };
        using var runJson = JsonDocument.Parse(await http.GetStringAsync("api/run"));
        // The most confident tumour call with a mask (else the tumour item with a mask the model leans most to).
        var target = runJson
            .RootElement.GetProperty("items")
            .EnumerateArray()
            .Where(i => i.GetProperty("has_mask").GetBoolean() && i.GetProperty("label").GetString() == tumour)
            .OrderByDescending(i => i.GetProperty("predicted").GetString() == tumour)
            .ThenByDescending(i => i.GetProperty("p_true").GetDouble())
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
        // What the overlay painted at a pixel: it is blended at half opacity over the tissue, so overlay = 2·shown −
        // tissue; its place on the colour scale is the nearest of the scale's stops (0 … 10); −1 where it painted
        // nothing. Over the tumour focus it is the scale's hot end, and nowhere hotter than there.
        var stops = runJson
            .RootElement.GetProperty("colormap")
            .EnumerateArray()
            .Select(e => Convert.FromHexString(e.GetString()![1..]))
            .ToList();
        int[] Rgb(string name) => seen.GetProperty(name).EnumerateArray().Select(v => v.GetInt32()).ToArray();
        int ScaleStop(int[] shown, int[] tissue)
        {
            if (shown.Zip(tissue).Sum(p => Math.Abs(p.First - p.Second)) < 15)
                return -1;
            var overlay = shown.Zip(tissue, (v, t) => Math.Clamp(2 * v - t, 0, 255)).ToArray();
            return stops
                .Select((c, i) => (i, d: c.Zip(overlay).Sum(p => (p.First - p.Second) * (p.First - p.Second))))
                .MinBy(x => x.d)
                .i;
        }
        int hotStop = ScaleStop(Rgb("hot"), Rgb("hotBase")),
            coolStop = ScaleStop(Rgb("cool"), Rgb("coolBase"));
        Assert.True(hotStop >= 8, $"the focus is drawn at stop {hotStop} of 10 ({string.Join(", ", Rgb("hot"))})");
        Assert.True(coolStop <= hotStop, $"the coolest patch is drawn hotter ({coolStop}) than the focus ({hotStop})");
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
        return screenshot;
    }
}
