using System.Text.Json.Serialization;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Maps.Heatmaps;
using Amil.MLNet.Maps.Metrics;
using Amil.MLNet.Slides;
using Amil.MLNet.Trainers;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Application;

/// <summary>
/// How well slide maps find tumour: every test tile is a detection, positive when it overlaps the slide's tumour
/// mask; pooled tile AUROC / AP and the CAMELYON16 FROC (lesions = connected tumour regions of the masks), for the
/// map itself and for the evidence for the tumour classes (<see cref="TumourEvidence"/>: the map the viewer draws).
/// Attention maps are taken as N·a (relative to a uniform 1/N), so slides with different numbers of tiles compare.
/// Writes per slide a heatmap PNG over the slide and a QuPath GeoJSON of its tiles.
/// </summary>
public static class SlideLocalization
{
    /// <summary>Test tiles above which the intervals use 200 resamples instead of 1000.</summary>
    private const int LargeTestSet = 200_000;

    /// <param name="Model">The model's label (its run folder's name unless named).</param>
    public sealed record MapScores(
        [property: JsonPropertyName("model")] string Model,
        [property: JsonPropertyName("map")] string Map,
        [property: JsonPropertyName("slide_accuracy")] double? SlideAccuracy,
        [property: JsonPropertyName("slide_auc")] double? SlideAuc,
        [property: JsonPropertyName("instance_auroc")] double? InstanceAuroc,
        [property: JsonPropertyName("instance_ap")] double? InstanceAp,
        [property: JsonPropertyName("froc")] double Froc,
        [property: JsonPropertyName("froc_sensitivity_at")] IReadOnlyList<double> FrocSensitivityAt
    )
    {
        /// <summary>Per lesion size class (itc, micro, macro), its lesions' mean sensitivity at the FROC's rates of
        /// false positives per slide; absent for a class without lesions, or every class when the slides do not
        /// say their scale.</summary>
        [JsonPropertyName("sensitivity_by_size")]
        public IReadOnlyDictionary<string, double> SensitivityBySize { get; init; } = new Dictionary<string, double>();

        /// <summary>95 % intervals of tile AUROC, tile AP and FROC: [low, high], from resampling whole slides
        /// (patients where known; see the report's <c>bootstrap</c>).</summary>
        [JsonPropertyName("intervals")]
        public IReadOnlyDictionary<string, double[]> Intervals { get; init; } = new Dictionary<string, double[]>();
    }

    public sealed record Report(
        [property: JsonPropertyName("tumour_classes")] IReadOnlyList<string> TumourClasses,
        [property: JsonPropertyName("slides")] int Slides,
        [property: JsonPropertyName("tiles")] int Tiles,
        [property: JsonPropertyName("tumour_tiles")] int TumourTiles,
        [property: JsonPropertyName("lesions")] int Lesions,
        [property: JsonPropertyName("froc_rates")] IReadOnlyList<double> FrocRates,
        [property: JsonPropertyName("methods")] IReadOnlyList<MapScores> Methods
    )
    {
        /// <summary>How many lesions of each size class (itc, micro, macro) the slides hold; empty when the slides do
        /// not say their scale.</summary>
        [JsonPropertyName("lesions_by_size")]
        public IReadOnlyDictionary<string, int> LesionsBySize { get; init; } = new Dictionary<string, int>();

        /// <summary>How the intervals were drawn.</summary>
        [JsonPropertyName("bootstrap")]
        public BootstrapSettings? Bootstrap { get; init; }

        /// <summary>A comparison of several models: each after the first against the first on the same slides
        /// (slide accuracy with a paired bootstrap interval, AUC with DeLong's test); empty for one model.</summary>
        [JsonPropertyName("comparisons")]
        public IReadOnlyList<PairedComparison> Comparisons { get; init; } = [];
    }

    /// <param name="Sizes">Each lesion's size class; null when the slide does not say its scale.</param>
    private sealed record SlideTruth(
        SlideHeatmaps.Slide Slide,
        bool[] Tumour,
        int?[] Lesion,
        int Lesions,
        LesionSize[]? Sizes
    )
    {
        public ScoredImage Scored => Slide.Scored;

        /// <summary>The lesions a FROC leaves out: isolated tumour cells overall, every other class for one
        /// class.</summary>
        public IReadOnlySet<int> Uncounted(LesionSize? only) =>
            Sizes is null
                ? new HashSet<int>()
                : Enumerable
                    .Range(0, Lesions)
                    .Where(l => only is { } c ? Sizes[l] != c : Sizes[l] == LesionSize.IsolatedTumourCells)
                    .ToHashSet();
    }

    /// <returns>Null when no test slide has a mask with tumour (nothing to measure).</returns>
    public static Report? Run(
        IReadOnlyList<ImageRecord> slides,
        IReadOnlyList<ScoredImage> scored,
        IReadOnlyList<string> classes,
        string runDir,
        Action<string> log,
        string model = "model",
        ClassificationMetrics? slideMetrics = null,
        string? heatmapFolder = null
    )
    {
        var (truths, patients, tumourClasses) = Truths(slides, scored);
        if (tumourClasses.Count == 0)
        {
            log("No test slide has a tumour mask with tumour: no localization figures.");
            return null;
        }
        var maps = Maps(truths[0].Scored.MapKind, classes, [.. tumourClasses]);
        // Every resample recomputes AUROC, AP and FROC over its tiles: fewer resamples for very large test sets.
        int tiles = truths.Sum(t => t.Tumour.Length);
        var bootstrap = new Bootstrap(patients, tiles <= LargeTestSet ? Bootstrap.DefaultResamples : 200);
        var methods = maps.Select(m => Measure(model, m.Name, slideMetrics, truths, m.Values, bootstrap)).ToList();
        bool sized = truths.All(t => t.Sizes is not null);
        if (!sized)
            log(
                "A test slide does not say its µm per pixel: lesions are not sized, isolated tumour cells count in the "
                    + "FROC and there is no sensitivity per size class."
            );
        string folder = heatmapFolder ?? Path.Combine(runDir, "heatmaps");
        var opened = truths.ToDictionary(t => t.Scored.Path, t => t.Slide);
        SlideHeatmaps.Write(
            [.. truths.Select(t => t.Scored)],
            s => opened[s.Path],
            maps[1].Values,
            s => [(maps[0].Name, maps[0].Values(s)), (maps[1].Name, maps[1].Values(s))],
            folder
        );
        var report = new Report(
            [.. tumourClasses],
            truths.Count,
            truths.Sum(t => t.Tumour.Length),
            truths.Sum(t => t.Tumour.Count(x => x)),
            truths.Sum(t => t.Lesions),
            [.. Froc.Rates],
            methods
        )
        {
            Bootstrap = bootstrap.Settings("slide"),
            LesionsBySize = sized
                ? Enum.GetValues<LesionSize>()
                    .ToDictionary(LesionSizes.Name, c => truths.Sum(t => t.Sizes!.Count(s => s == c)))
                : new Dictionary<string, int>(),
        };
        foreach (var m in methods)
            log(Describe(m));
        log($"Heatmaps (PNG over the slide, QuPath GeoJSON) of {truths.Count} slides under {folder}.");
        return report;
    }

    /// <summary>Each test slide with a mask: its ground truth under its tiles, its patient, and the classes of the
    /// slides whose masks hold tumour.</summary>
    private static (List<SlideTruth> Truths, List<string?> Patients, SortedSet<string> TumourClasses) Truths(
        IReadOnlyList<ImageRecord> slides,
        IReadOnlyList<ScoredImage> scored
    )
    {
        var truths = new List<SlideTruth>();
        var patients = new List<string?>();
        var tumourClasses = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < slides.Count; i++)
        {
            if (slides[i].MaskPath is not { } maskPath)
                continue;
            patients.Add(slides[i].Patient);
            var truth = Truth(scored[i], maskPath);
            if (truth.Lesions > 0)
                tumourClasses.Add(slides[i].Label);
            truths.Add(truth);
        }
        return (truths, patients, tumourClasses);
    }

    /// <summary>The maps measured: the model's own, and the evidence for the tumour classes that the viewer and the
    /// heatmaps draw.</summary>
    internal static (string Name, Func<ScoredImage, float[]> Values)[] Maps(
        MapKind kind,
        IReadOnlyList<string> classes,
        IReadOnlyList<string> tumourClasses
    ) =>
        [
            (kind.Name(), SlideHeatmaps.Relative),
            (TumourEvidence.Describe(kind, tumourClasses), s => TumourEvidence.Values(s, classes, tumourClasses)),
        ];

    private static SlideTruth Truth(ScoredImage scored, string maskPath)
    {
        var slide = SlideHeatmaps.Slide.Open(scored);
        var mask = AnnotationMask.ReadMask(maskPath, slide.Width, slide.Height);
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
        LesionSize[]? sizes = null;
        if (slide.MicronsPerPixel is { } mpp)
        {
            var labels = lesionOf.Select(l => l ?? -1).ToArray();
            sizes = LesionSizes
                .LongestDiameters(
                    labels,
                    mask.Width,
                    lesions,
                    mpp * slide.Width / mask.Width,
                    mpp * slide.Height / mask.Height
                )
                .Select(LesionSizes.Of)
                .ToArray();
        }
        return new SlideTruth(slide, tumour, lesion, lesions, sizes);
    }

    /// <summary>Connected tumour regions (8-connected, tumour &gt; 127) of a mask, numbered from 0.</summary>
    public static int?[] Lesions(RgbImage mask, out int count)
    {
        var tumour = new bool[mask.Width * mask.Height];
        for (int i = 0; i < tumour.Length; i++)
            tumour[i] = mask.Pixels[3 * i] > 127;
        return Regions
            .Label(tumour, mask.Width, mask.Height, Connectivity.Eight, out count)
            .Select(l => l >= 0 ? l : (int?)null)
            .ToArray();
    }

    private static string Describe(MapScores m) =>
        FormattableString.Invariant($"{m.Map}: tile AUROC {m.InstanceAuroc:F3}, AP {m.InstanceAp:F3}, FROC {m.Froc:F3}")
        + string.Concat(m.SensitivityBySize.Select(s => FormattableString.Invariant($", {s.Key} {s.Value:F3}")));

    private static MapScores Measure(
        string model,
        string name,
        ClassificationMetrics? slideMetrics,
        IReadOnlyList<SlideTruth> truths,
        Func<ScoredImage, float[]> values,
        Bootstrap bootstrap
    )
    {
        var items = new List<WeightedScore>[truths.Count];
        var found = new List<Detection>[truths.Count];
        for (int s = 0; s < truths.Count; s++)
        {
            var t = truths[s];
            var v = values(t.Scored);
            items[s] = [.. v.Select((x, k) => new WeightedScore(x, t.Tumour[k] ? 1 : 0, t.Tumour[k] ? 0 : 1))];
            found[s] = [.. v.Select((x, k) => new Detection(x, t.Lesion[k]))];
        }
        List<SlideDetections> Counting(LesionSize? only) =>
            [.. truths.Select((t, s) => new SlideDetections(found[s], t.Lesions) { Uncounted = t.Uncounted(only) })];
        bool sized = truths.All(t => t.Sizes is not null);
        var bySize = new Dictionary<string, double>();
        if (sized)
            foreach (var size in Enum.GetValues<LesionSize>())
                if (truths.Any(t => t.Sizes!.Contains(size)))
                    bySize[LesionSizes.Name(size)] = Math.Round(Froc.Compute(Counting(size)).Score, 4);
        var counting = Counting(null);
        if (counting.Sum(s => s.Lesions - s.Uncounted.Count) == 0)
            counting = Counting(LesionSize.IsolatedTumourCells); // only isolated tumour cells: count them
        var froc = Froc.Compute(counting);
        // The same figures on resamples of whole slides (patients where known), for their intervals.
        double?[] Point(IReadOnlyList<int> slides)
        {
            var pooled = slides.SelectMany(s => items[s]).ToList();
            return
            [
                RankMetrics.Auroc(pooled),
                RankMetrics.AveragePrecision(pooled),
                // A resample may draw only tumour-free slides: no lesion to find, no FROC.
                slides.Any(s => counting[s].Lesions > counting[s].Uncounted.Count)
                    ? Froc.Compute([.. slides.Select(s => counting[s])]).Score
                    : null,
            ];
        }
        var point = Point([.. Enumerable.Range(0, truths.Count)]);
        var intervals = bootstrap.Of(Point);
        return new MapScores(
            model,
            name,
            slideMetrics?.Accuracy is { } accuracy ? Math.Round(accuracy, 4) : null,
            Round(slideMetrics?.Auc),
            Round(point[0]),
            Round(point[1]),
            Math.Round(froc.Score, 4),
            froc.SensitivityAtRates.Select(s => Math.Round(s, 4)).ToList()
        )
        {
            SensitivityBySize = bySize,
            Intervals = Bootstrap.Named(["instance_auroc", "instance_ap", "froc"], point, intervals),
        };
    }

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 4) : null;

    /// <summary>A map's figure with its 95 % interval, as localization.md and report.html give it.</summary>
    internal static string WithInterval(MapScores m, string name, double? value) =>
        Bootstrap.WithInterval(value, m.Intervals.GetValueOrDefault(name));

    /// <summary>The comparison as a Markdown table (localization.md).</summary>
    public static string Markdown(Report report)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        string F(double? v) => v is { } x ? x.ToString("F3", culture) : "–";
        var text = new System.Text.StringBuilder();
        string sizes =
            report.LesionsBySize.Count == 0
                ? ""
                : " (" + string.Join(", ", report.LesionsBySize.Select(s => $"{s.Value} {s.Key}")) + ")";
        text.AppendLine(
            $"{report.Slides} slides with masks, {report.Tiles} tiles ({report.TumourTiles} on tumour), "
                + $"{report.Lesions} lesions{sizes}; tumour classes {string.Join(", ", report.TumourClasses)}."
        );
        text.AppendLine();
        var classes = report.LesionsBySize.Where(s => s.Value > 0).Select(s => s.Key).ToList();
        text.AppendLine(
            "| model | map | slide accuracy | slide AUC | tile AUROC | tile AP | FROC |"
                + string.Concat(classes.Select(c => $" sensitivity {c} |"))
        );
        text.AppendLine("|---|---|---|---|---|---|---|" + string.Concat(classes.Select(_ => "---|")));
        foreach (var m in report.Methods)
            text.AppendLine(
                $"| {m.Model} | {m.Map} | {F(m.SlideAccuracy)} | {F(m.SlideAuc)} | "
                    + $"{WithInterval(m, "instance_auroc", m.InstanceAuroc)} | "
                    + $"{WithInterval(m, "instance_ap", m.InstanceAp)} | {WithInterval(m, "froc", m.Froc)} |"
                    + string.Concat(
                        classes.Select(c => $" {F(m.SensitivityBySize.TryGetValue(c, out var v) ? v : null)} |")
                    )
            );
        text.AppendLine();
        if (report.Bootstrap is { } b)
            text.AppendLine(b.Describe());
        text.AppendLine(
            "FROC: mean sensitivity at "
                + string.Join(", ", report.FrocRates.Select(r => r.ToString(culture)))
                + " false positives per slide (CAMELYON16)"
                + (
                    classes.Count == 0
                        ? "."
                        : "; isolated tumour cells (itc, < 0.2 mm) neither hits nor misses nor false positives. "
                            + "Sensitivity per size class: that class's lesions, the same mean over the same rates."
                )
        );
        return text.ToString();
    }
}
