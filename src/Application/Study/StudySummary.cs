using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Amil.MLNet.Application.Jobs;

namespace Amil.MLNet.Application.Study;

/// <summary>study.json: per dataset and method, each table column as mean ± sd over the seeds.</summary>
public sealed record StudySummary(
    [property: JsonPropertyName("epochs")] int Epochs,
    [property: JsonPropertyName("datasets")] IReadOnlyList<StudySummary.DatasetResult> Datasets
)
{
    public sealed record DatasetResult(
        [property: JsonPropertyName("dataset")] string Dataset,
        [property: JsonPropertyName("tumour_classes")] IReadOnlyList<string> TumourClasses,
        [property: JsonPropertyName("seeds")] IReadOnlyList<int> Seeds,
        [property: JsonPropertyName("test_images")] int TestImages,
        [property: JsonPropertyName("methods")] IReadOnlyList<MethodSummary> Methods
    )
    {
        /// <summary>What a test item is: images, or slides (then <see cref="TestImages"/> counts slides).</summary>
        [JsonPropertyName("unit")]
        public string Unit { get; init; } = "images";

        /// <summary>What the replicates are: "seed" (each a training seed on the dataset's split; <see cref="Seeds"/>
        /// lists them) or "fold" (each a fold of a patient-grouped k-fold split; <see cref="Seeds"/> lists the fold
        /// numbers).</summary>
        [JsonPropertyName("by")]
        public string By { get; init; } = "seed";

        /// <summary>The measures each method has, in table order.</summary>
        [JsonPropertyName("columns")]
        public IReadOnlyList<string> Columns { get; init; } = LocalizationTable.Columns;
    }

    /// <summary>The measures of a slide study: the slide classification, the tile ranking, the FROC and its
    /// sensitivity per lesion size class (<see cref="SlideLocalization"/>).</summary>
    public static readonly IReadOnlyList<string> SlideColumns =
    [
        "slide accuracy",
        "slide AUC",
        "tile AUROC",
        "tile AP",
        "FROC",
        "sensitivity itc",
        "sensitivity micro",
        "sensitivity macro",
    ];

    private static double?[] SlideValues(SlideLocalization.MapScores m) =>
        [
            m.SlideAccuracy,
            m.SlideAuc,
            m.InstanceAuroc,
            m.InstanceAp,
            m.Froc,
            .. new[] { "itc", "micro", "macro" }.Select(c =>
                m.SensitivityBySize.TryGetValue(c, out var v) ? v : (double?)null
            ),
        ];

    /// <summary>One slide dataset's comparisons (one per seed): a row per model and map.</summary>
    public static DatasetResult OfSlides(
        string dataset,
        IReadOnlyList<int> seeds,
        IReadOnlyList<SlideLocalization.Report> comparisons
    )
    {
        var methods = comparisons
            .SelectMany(c => c.Methods)
            .GroupBy(m => $"{m.Model}: {m.Map}")
            .Select(g => new MethodSummary(
                g.Key,
                SlideColumns
                    .Select(
                        (column, i) => (column, MeanSd.Of(g.Select(m => SlideValues(m)[i]).OfType<double>().ToList()))
                    )
                    .ToDictionary(p => p.column, p => p.Item2)
            ))
            .ToList();
        var first = comparisons.FirstOrDefault();
        return new DatasetResult(dataset, first?.TumourClasses ?? [], seeds, first?.Slides ?? 0, methods)
        {
            Unit = "slides",
            Columns = SlideColumns,
        };
    }

    public sealed record MethodSummary(
        [property: JsonPropertyName("method")] string Method,
        [property: JsonPropertyName("values")] IReadOnlyDictionary<string, MeanSd?> Values
    );

    /// <summary>Mean and sample standard deviation (n − 1; 0 for one value) over the seeds that define it.</summary>
    public sealed record MeanSd(
        [property: JsonPropertyName("mean")] double Mean,
        [property: JsonPropertyName("sd")] double Sd,
        [property: JsonPropertyName("n")] int N
    )
    {
        public static MeanSd? Of(IReadOnlyList<double> values)
        {
            if (values.Count == 0)
                return null;
            double mean = values.Average();
            double sd = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
            return new MeanSd(mean, sd, values.Count);
        }

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Mean:F3} ± {Sd:F3}");
    }

    /// <summary>One dataset's comparisons (one per seed, same methods) summarised row by row.</summary>
    public static DatasetResult Of(
        string dataset,
        IReadOnlyList<string> tumourClasses,
        IReadOnlyList<int> seeds,
        IReadOnlyList<LocalizeJob.Report> comparisons
    )
    {
        var methods = comparisons
            .SelectMany(c => c.Methods)
            .GroupBy(m => m.Method)
            .Select(g => new MethodSummary(
                g.Key,
                LocalizationTable
                    .Columns.Select(
                        (column, i) =>
                            (
                                column,
                                MeanSd.Of(
                                    g.Select(m => LocalizationTable.Values(m)[i])
                                        .Where(v => v is not null)
                                        .Select(v => v!.Value)
                                        .ToList()
                                )
                            )
                    )
                    .ToDictionary(p => p.column, p => p.Item2)
            ))
            .ToList();
        return new DatasetResult(dataset, tumourClasses, seeds, comparisons.FirstOrDefault()?.Images ?? 0, methods);
    }

    /// <summary>"mean ± sd", with the number of seeds when it is not all of them.</summary>
    private static string Cell(MeanSd? value, int seeds) =>
        value is null ? "–"
        : value.N == seeds ? value.ToString()
        : $"{value} (n={value.N})";

    public string Markdown()
    {
        var text = new StringBuilder();
        foreach (var d in Datasets)
        {
            text.AppendLine(
                $"### {d.Dataset}: mean ± sd over {d.By}s {string.Join(", ", d.Seeds)} ({d.TestImages} test {d.Unit}"
                    + (d.By == "fold" ? " in the first fold; " : "; ")
                    + $"tumour classes {string.Join(" + ", d.TumourClasses)}; {Epochs} epochs)"
            );
            text.AppendLine();
            text.AppendLine($"| method | {string.Join(" | ", d.Columns)} |");
            text.AppendLine($"|---|{string.Concat(d.Columns.Select(_ => "---|"))}");
            foreach (var m in d.Methods)
                text.AppendLine(
                    $"| {m.Method} | "
                        + string.Join(" | ", d.Columns.Select(c => Cell(m.Values[c], d.Seeds.Count)))
                        + " |"
                );
            text.AppendLine();
            // The table summarises; each comparison keeps its figures' 95 % intervals and paired tests.
            text.AppendLine(
                $"Each {d.By}'s figures with 95 % intervals and paired tests: "
                    + string.Join(", ", d.Seeds.Select(s => $"`{d.Dataset}/localize-{d.By}{s}/localization.md`"))
                    + "."
            );
            text.AppendLine();
        }
        return text.ToString();
    }
}
