using System.Text.Json.Serialization;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Localization.Heatmaps;
using Amil.MLNet.Localization.Metrics;
using Amil.MLNet.Trainers;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Slides;

namespace Amil.MLNet.Experiments;

/// <summary>
/// How well slide maps find tumour: every test tile is a detection, positive when it overlaps the slide's tumour
/// mask; pooled tile AUROC / AP and the CAMELYON16 FROC (lesions = connected tumour regions of the masks),
/// for the map itself and for the map × p(tumour) (class-aware by construction). Attention maps are taken as N·a
/// (relative to a uniform 1/N), so slides with different numbers of tiles compare. Writes per slide a heatmap PNG
/// over the slide and a QuPath GeoJSON of its tiles.
/// </summary>
public static class SlideLocalization
{
    public const string File = "localization.json";

    public sealed record MapScores(
        [property: JsonPropertyName("map")] string Map,
        [property: JsonPropertyName("instance_auroc")] double? InstanceAuroc,
        [property: JsonPropertyName("instance_ap")] double? InstanceAp,
        [property: JsonPropertyName("froc")] double Froc,
        [property: JsonPropertyName("froc_sensitivity_at")] IReadOnlyList<double> FrocSensitivityAt
    );

    public sealed record Report(
        [property: JsonPropertyName("tumour_classes")] IReadOnlyList<string> TumourClasses,
        [property: JsonPropertyName("slides")] int Slides,
        [property: JsonPropertyName("tiles")] int Tiles,
        [property: JsonPropertyName("tumour_tiles")] int TumourTiles,
        [property: JsonPropertyName("lesions")] int Lesions,
        [property: JsonPropertyName("froc_rates")] IReadOnlyList<double> FrocRates,
        [property: JsonPropertyName("methods")] IReadOnlyList<MapScores> Methods
    );

    /// <param name="Thumbnail">The tissue map's thumbnail, for the heatmap.</param>
    private sealed record SlideTruth(
        ScoredImage Scored,
        bool[] Tumour,
        int?[] Lesion,
        int Lesions,
        int Width,
        int Height,
        RgbImage Thumbnail
    );

    /// <returns>Null when no test slide has a mask with tumour (nothing to measure).</returns>
    public static Report? Run(
        IReadOnlyList<ImageRecord> slides,
        IReadOnlyList<ScoredImage> scored,
        IReadOnlyList<string> classes,
        string runDir,
        Action<string> log
    )
    {
        var truths = new List<SlideTruth>();
        var tumourClasses = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < slides.Count; i++)
        {
            if (slides[i].MaskPath is not { } maskPath)
                continue;
            var truth = Truth(scored[i], RgbImageReader.Read(maskPath));
            if (truth.Lesions > 0)
                tumourClasses.Add(slides[i].Label);
            truths.Add(truth);
        }
        if (tumourClasses.Count == 0)
        {
            log("No test slide has a tumour mask with tumour: no localization figures.");
            return null;
        }
        var tumourIndices = tumourClasses.Select(c => classes.ToList().IndexOf(c)).ToArray();
        var maps = new (string Name, Func<ScoredImage, float[]> Values)[]
        {
            (MapName(truths[0].Scored.MapKind), s => Relative(s)),
            (
                $"{MapName(truths[0].Scored.MapKind)} × p({string.Join(" + ", tumourClasses)})",
                s =>
                {
                    float p = tumourIndices.Sum(c => s.Probabilities[c]);
                    return Relative(s).Select(v => v * p).ToArray();
                }
            ),
        };
        var methods = maps.Select(m => Measure(m.Name, truths, m.Values)).ToList();
        Draw(truths, maps[1].Values, maps[0].Name, runDir);
        var report = new Report(
            [.. tumourClasses],
            truths.Count,
            truths.Sum(t => t.Tumour.Length),
            truths.Sum(t => t.Tumour.Count(x => x)),
            truths.Sum(t => t.Lesions),
            [.. Froc.Rates],
            methods
        );
        foreach (var m in methods)
            log(
                FormattableString.Invariant(
                    $"{m.Map}: tile AUROC {m.InstanceAuroc:F3}, AP {m.InstanceAp:F3}, FROC {m.Froc:F3}"
                )
            );
        log($"Heatmaps (PNG over the slide, QuPath GeoJSON) of {truths.Count} test slides under {runDir}/heatmaps.");
        return report;
    }

    private static string MapName(MapKind kind) =>
        kind switch
        {
            MapKind.Contribution => "contribution",
            MapKind.ClassAttention => "class-attention",
            _ => "attention",
        };

    /// <summary>Attention as N·a (1 = a uniform share); contributions as they are.</summary>
    private static float[] Relative(ScoredImage s) =>
        s.MapKind == MapKind.Contribution ? s.Map : s.Map.Select(v => v * s.Map.Length).ToArray();

    private static SlideTruth Truth(ScoredImage scored, RgbImage mask)
    {
        using var slide = SlideImage.Open(scored.Path);
        var lesionOf = Lesions(mask, out int lesions);
        int n = scored.Map.Length;
        var tumour = new bool[n];
        var lesion = new int?[n];
        int side = scored.Layout.PatchSize;
        for (int k = 0; k < n; k++)
        {
            // The mask pixels under the tile: a tile that overlaps a lesion is tumour and detects that lesion (the
            // one it overlaps most), however small the lesion is against the tile.
            int x0 = scored.Coordinates[2 * k],
                y0 = scored.Coordinates[2 * k + 1];
            int mx0 = Math.Clamp((int)((double)x0 * mask.Width / slide.Width), 0, mask.Width - 1),
                my0 = Math.Clamp((int)((double)y0 * mask.Height / slide.Height), 0, mask.Height - 1),
                mx1 = Math.Clamp(
                    (int)Math.Ceiling((double)(x0 + side) * mask.Width / slide.Width),
                    mx0 + 1,
                    mask.Width
                ),
                my1 = Math.Clamp(
                    (int)Math.Ceiling((double)(y0 + side) * mask.Height / slide.Height),
                    my0 + 1,
                    mask.Height
                );
            var overlap = new Dictionary<int, int>();
            for (int my = my0; my < my1; my++)
            for (int mx = mx0; mx < mx1; mx++)
                if (lesionOf[my * mask.Width + mx] is { } l)
                    overlap[l] = overlap.GetValueOrDefault(l) + 1;
            lesion[k] = overlap.Count == 0 ? null : overlap.MaxBy(o => o.Value).Key;
            tumour[k] = lesion[k] is not null;
        }
        // The slide is open here anyway: its thumbnail is taken once, for the heatmap.
        var thumbnail = TissueMap.Detect(slide).Thumbnail;
        return new SlideTruth(scored, tumour, lesion, lesions, slide.Width, slide.Height, thumbnail);
    }

    /// <summary>Connected tumour regions (8-connected, tumour &gt; 127) of a mask, numbered from 0.</summary>
    public static int?[] Lesions(RgbImage mask, out int count)
    {
        int w = mask.Width,
            h = mask.Height;
        var label = new int?[w * h];
        count = 0;
        var stack = new Stack<int>();
        for (int start = 0; start < label.Length; start++)
        {
            if (label[start] is not null || mask.Pixels[3 * start] <= 127)
                continue;
            label[start] = count;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int i = stack.Pop(),
                    x = i % w,
                    y = i / w;
                for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                {
                    int nx = x + dx,
                        ny = y + dy,
                        j = ny * w + nx;
                    if (nx < 0 || ny < 0 || nx >= w || ny >= h || label[j] is not null || mask.Pixels[3 * j] <= 127)
                        continue;
                    label[j] = count;
                    stack.Push(j);
                }
            }
            count++;
        }
        return label;
    }

    private static MapScores Measure(string name, IReadOnlyList<SlideTruth> truths, Func<ScoredImage, float[]> values)
    {
        var items = new List<WeightedScore>();
        var detections = new List<SlideDetections>();
        foreach (var t in truths)
        {
            var v = values(t.Scored);
            for (int k = 0; k < v.Length; k++)
                items.Add(new WeightedScore(v[k], t.Tumour[k] ? 1 : 0, t.Tumour[k] ? 0 : 1));
            detections.Add(new SlideDetections(v.Select((s, k) => new Detection(s, t.Lesion[k])).ToList(), t.Lesions));
        }
        var froc = Froc.Compute(detections);
        return new MapScores(
            name,
            Round(RankMetrics.Auroc(items)),
            Round(RankMetrics.AveragePrecision(items)),
            Math.Round(froc.Score, 4),
            froc.SensitivityAtRates.Select(s => Math.Round(s, 4)).ToList()
        );
    }

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 4) : null;

    /// <summary>Per slide: the tissue thumbnail with tiles coloured by the map (one scale over all test slides, so
    /// a tumour-free slide stays cool), and the tiles as QuPath GeoJSON with the map as measurements.</summary>
    private static void Draw(
        IReadOnlyList<SlideTruth> truths,
        Func<ScoredImage, float[]> values,
        string mapName,
        string runDir
    )
    {
        var folder = Path.Combine(runDir, "heatmaps");
        Directory.CreateDirectory(folder);
        float top = Math.Max(1e-6f, truths.Max(t => values(t.Scored).DefaultIfEmpty(0).Max()));
        foreach (var t in truths)
        {
            var v = values(t.Scored);
            var thumbnail = t.Thumbnail;
            var pixels = (byte[])thumbnail.Pixels.Clone();
            double scale = thumbnail.Width / (double)t.Width;
            int side = t.Scored.Layout.PatchSize;
            for (int k = 0; k < v.Length; k++)
            {
                var (r, g, b) = Colormap.Jet[v[k] / top];
                int x0 = (int)(t.Scored.Coordinates[2 * k] * scale),
                    y0 = (int)(t.Scored.Coordinates[2 * k + 1] * scale),
                    x1 = (int)((t.Scored.Coordinates[2 * k] + side) * scale),
                    y1 = (int)((t.Scored.Coordinates[2 * k + 1] + side) * scale);
                for (int y = y0; y < Math.Min(y1, thumbnail.Height); y++)
                for (int x = x0; x < Math.Min(x1, thumbnail.Width); x++)
                {
                    int o = (y * thumbnail.Width + x) * 3;
                    pixels[o] = (byte)((pixels[o] + r) / 2);
                    pixels[o + 1] = (byte)((pixels[o + 1] + g) / 2);
                    pixels[o + 2] = (byte)((pixels[o + 2] + b) / 2);
                }
            }
            string id = SlideLayout.SlideId(t.Scored.Path);
            RgbImageWriter.WritePng(
                Path.Combine(folder, id + ".png"),
                new RgbImage(thumbnail.Width, thumbnail.Height, pixels)
            );
            var geojson = QuPathTiles.Build(
                t.Scored.Coordinates,
                side,
                [(mapName, Relative(t.Scored)), (mapName + " × p", v)],
                null,
                t.Width,
                t.Height
            );
            AtomicFile.WriteText(Path.Combine(folder, id + ".geojson"), QuPathTiles.ToJson(geojson));
        }
    }
}
