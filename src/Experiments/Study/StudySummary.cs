using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Amil.MLNet.Experiments.Jobs;

namespace Amil.MLNet.Experiments.Study;

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
    );

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
                $"### {d.Dataset}: mean ± sd over seeds {string.Join(", ", d.Seeds)} ({d.TestImages} test images; "
                    + $"tumour classes {string.Join(" + ", d.TumourClasses)}; {Epochs} epochs)"
            );
            text.AppendLine();
            text.AppendLine($"| method | {string.Join(" | ", LocalizationTable.Columns)} |");
            text.AppendLine($"|---|{string.Concat(LocalizationTable.Columns.Select(_ => "---|"))}");
            foreach (var m in d.Methods)
                text.AppendLine(
                    $"| {m.Method} | "
                        + string.Join(" | ", LocalizationTable.Columns.Select(c => Cell(m.Values[c], d.Seeds.Count)))
                        + " |"
                );
            text.AppendLine();
        }
        return text.ToString();
    }
}
