using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Amil.MLNet.Maps.Metrics;

namespace Amil.MLNet.Application.Study;

/// <summary>One map's localization over the folds (cv.json's <c>localization</c>): each fold's figures with their
/// 95 % intervals, as the fold's run measured them; mean ± sd over the folds; and, when every item is tested once,
/// the pooled out-of-fold figures with intervals by patient.</summary>
public sealed record CrossValidationLocalization(
    [property: JsonPropertyName("map")] string Map,
    [property: JsonPropertyName("columns")] IReadOnlyList<string> Columns,
    [property: JsonPropertyName("rows")] IReadOnlyList<CrossValidationLocalization.Row> Rows,
    [property: JsonPropertyName("mean")] IReadOnlyList<double?> Mean,
    [property: JsonPropertyName("sd")] IReadOnlyList<double?> Sd,
    [property: JsonPropertyName("pooled")] CrossValidationLocalization.Figures? Pooled
)
{
    /// <summary>Figures in <see cref="Columns"/> order, each with its interval ([low, high], or null).</summary>
    public sealed record Figures(
        [property: JsonPropertyName("values")] IReadOnlyList<double?> Values,
        [property: JsonPropertyName("intervals")] IReadOnlyList<double[]?> Intervals
    );

    /// <summary>One fold's figures.</summary>
    public sealed record Row(
        [property: JsonPropertyName("fold")] int Fold,
        [property: JsonPropertyName("values")] IReadOnlyList<double?> Values,
        [property: JsonPropertyName("intervals")] IReadOnlyList<double[]?> Intervals
    );

    private static readonly string[] ImageColumns =
    [
        "instance_auroc",
        "instance_ap",
        "pixel_auroc",
        "best_dice",
        "pointing_game",
    ];

    private static readonly string[] SlideColumns = ["instance_auroc", "instance_ap", "froc"];

    /// <summary>Each map's figures in one measurement: the image map, or every map of a slide report.</summary>
    internal static IReadOnlyList<(string Map, string[] Columns, Figures Figures)> MapsOf(
        TestLocalization.Measured measured,
        string imageMap
    )
    {
        if (measured.Images?.Scores is { } s)
        {
            double?[] values = [s.InstanceAuroc, s.InstanceAp, s.PixelAuroc, s.BestDice, s.PointingGame];
            return [(imageMap, ImageColumns, With(ImageColumns, values, s.Intervals))];
        }
        return measured.Slides is { } report
            ?
            [
                .. report.Methods.Select(m =>
                    (m.Map, SlideColumns, With(SlideColumns, [m.InstanceAuroc, m.InstanceAp, m.Froc], m.Intervals))
                ),
            ]
            : [];
    }

    private static Figures With(string[] columns, double?[] values, IReadOnlyDictionary<string, double[]>? intervals) =>
        new(values, [.. columns.Select(c => intervals?.GetValueOrDefault(c))]);

    /// <summary>A table per map that every fold measured, in the first fold's order.</summary>
    internal static IReadOnlyList<CrossValidationLocalization> Tables(
        IReadOnlyList<(int Fold, TestLocalization.Measured Measured)> folds,
        TestLocalization.Measured pooled,
        string imageMap
    )
    {
        var byFold = folds.Select(f => (f.Fold, Maps: MapsOf(f.Measured, imageMap))).ToList();
        if (byFold.Count == 0 || byFold.Any(f => f.Maps.Count == 0))
            return [];
        var pooledMaps = MapsOf(pooled, imageMap);
        var tables = new List<CrossValidationLocalization>();
        foreach (var (map, columns, _) in byFold[0].Maps)
        {
            if (byFold.Any(f => !f.Maps.Any(m => m.Map == map)))
                continue;
            var rows = byFold
                .Select(f => f.Maps.First(m => m.Map == map).Figures)
                .Select((x, i) => new Row(byFold[i].Fold, x.Values, x.Intervals))
                .ToList();
            var stats = Enumerable
                .Range(0, columns.Length)
                .Select(c => StudySummary.MeanSd.Of([.. rows.Select(r => r.Values[c]).OfType<double>()]))
                .ToList();
            tables.Add(
                new CrossValidationLocalization(
                    map,
                    columns,
                    rows,
                    [.. stats.Select(m => m is null ? (double?)null : Math.Round(m.Mean, 4))],
                    [.. stats.Select(m => m is null ? (double?)null : Math.Round(m.Sd, 4))],
                    pooledMaps.FirstOrDefault(m => m.Map == map).Figures
                )
            );
        }
        return tables;
    }

    /// <summary>The table in Markdown: a row per fold (figures with intervals), mean ± sd, pooled.</summary>
    public string Markdown()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"## Localization: {Map}\n\n| fold | ")
            .Append(string.Join(" | ", Columns.Select(c => ColumnTitle(c, Columns.Contains("froc")))))
            .Append(" |\n|---|")
            .Append(string.Concat(Columns.Select(_ => "---|")))
            .Append('\n');
        foreach (var row in Rows)
            text.Append(CultureInfo.InvariantCulture, $"| {row.Fold} | ")
                .Append(string.Join(" | ", row.Values.Select((v, c) => Bootstrap.WithInterval(v, row.Intervals[c]))))
                .Append(" |\n");
        text.Append("| mean ± sd | ")
            .Append(string.Join(" | ", Mean.Select((m, c) => CrossValidationSummary.MeanSd(m, Sd[c]))))
            .Append(" |\n");
        if (Pooled is { } p)
            text.Append("| pooled out-of-fold | ")
                .Append(string.Join(" | ", p.Values.Select((v, c) => Bootstrap.WithInterval(v, p.Intervals[c]))))
                .Append(" |\n");
        return text.ToString();
    }

    private static string ColumnTitle(string column, bool slides) =>
        column switch
        {
            "instance_auroc" => slides ? "tile AUROC" : "instance AUROC",
            "instance_ap" => slides ? "tile AP" : "instance AP",
            "pixel_auroc" => "pixel AUROC",
            "best_dice" => "best Dice",
            "pointing_game" => "pointing game",
            "froc" => "FROC",
            _ => column,
        };
}
