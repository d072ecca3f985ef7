using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Amil.MLNet.Maps.Metrics;

namespace Amil.MLNet.Application;

/// <summary>Two models scored on the same items: the difference in accuracy with its paired bootstrap interval
/// (resampling patients, both models on the same resample) and, for two classes, the difference in AUC with DeLong's
/// test.</summary>
public sealed record PairedComparison(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("against")] string Against,
    [property: JsonPropertyName("items")] int Items,
    [property: JsonPropertyName("accuracy_difference")] double AccuracyDifference,
    [property: JsonPropertyName("accuracy_difference_interval")] double[]? AccuracyDifferenceInterval,
    [property: JsonPropertyName("auc_difference")] double? AucDifference,
    [property: JsonPropertyName("auc_difference_interval")] double[]? AucDifferenceInterval,
    [property: JsonPropertyName("delong_z")] double? DeLongZ,
    [property: JsonPropertyName("delong_p")] double? DeLongP
)
{
    /// <summary>Compares model <paramref name="model"/> with <paramref name="against"/> (probabilities of the same
    /// items, same order).</summary>
    public static PairedComparison Of(
        (string Name, IReadOnlyList<float[]> Probabilities) model,
        (string Name, IReadOnlyList<float[]> Probabilities) against,
        IReadOnlyList<int> truth,
        IReadOnlyList<string?> patients
    )
    {
        static double Accuracy(IReadOnlyList<float[]> p, IReadOnlyList<int> truth, IReadOnlyList<int> items) =>
            items.Average(i => Calibration.TopClass(p[i]) == truth[i] ? 1.0 : 0.0);
        var all = Enumerable.Range(0, truth.Count).ToArray();
        double difference = Accuracy(model.Probabilities, truth, all) - Accuracy(against.Probabilities, truth, all);
        var interval = new Bootstrap(patients).Of(items =>
            [Accuracy(model.Probabilities, truth, items) - Accuracy(against.Probabilities, truth, items)]
        )[0];
        DeLongResult? delong = null;
        bool binary = model.Probabilities[0].Length == 2;
        var positive = truth.Select(t => t == 1).ToList();
        if (binary && positive.Count(p => p) >= 2 && positive.Count(p => !p) >= 2)
            delong = DeLong.Compare(
                [.. model.Probabilities.Select(p => (double)p[1])],
                [.. against.Probabilities.Select(p => (double)p[1])],
                positive
            );
        static double R(double v) => Math.Round(v, 4);
        return new PairedComparison(
            model.Name,
            against.Name,
            truth.Count,
            R(difference),
            interval is null ? null : [R(interval.Low), R(interval.High)],
            delong is null ? null : R(delong.Difference),
            delong is null ? null : [R(delong.DifferenceInterval.Low), R(delong.DifferenceInterval.High)],
            delong is null ? null : R(delong.Z),
            delong is null ? null : Math.Round(delong.P, 6)
        );
    }

    /// <summary>Each model after the first against the first on the same items (images or slides), when they share
    /// the classes.</summary>
    public static List<PairedComparison> AgainstFirst(
        IReadOnlyList<(string Name, IReadOnlyList<float[]> Probabilities)> models,
        IReadOnlyList<string> classes,
        IReadOnlyList<Data.Datasets.ImageRecord> items
    )
    {
        var truth = Evaluation.Truth(classes, items);
        var patients = items.Select(r => r.Patient).ToList();
        return models
            .Skip(1)
            .Where(m => m.Probabilities[0].Length == classes.Count)
            .Select(m => Of(m, models[0], truth, patients))
            .ToList();
    }

    /// <summary>The comparisons as a Markdown table (empty text for none).</summary>
    public static string Markdown(IReadOnlyList<PairedComparison> comparisons)
    {
        if (comparisons.Count == 0)
            return "";
        var text = new StringBuilder(
            "\n## Paired comparisons (same items)\n\n| model | against | Δ accuracy [95 % paired bootstrap] | "
                + "Δ AUC [95 % DeLong] | DeLong p |\n|---|---|---|---|---|\n"
        );
        foreach (var c in comparisons)
            text.Append(
                CultureInfo.InvariantCulture,
                $"| {c.Model} | {c.Against} | {Signed(c.AccuracyDifference, c.AccuracyDifferenceInterval)} | "
                    + $"{(c.AucDifference is { } d ? Signed(d, c.AucDifferenceInterval) : "–")} | "
                    + $"{(c.DeLongP is { } p ? p.ToString("G3", CultureInfo.InvariantCulture) : "–")} |\n"
            );
        return text.ToString();
    }

    private static string Signed(double value, double[]? interval) =>
        FormattableString.Invariant($"{value:+0.000;-0.000;0.000}")
        + (
            interval is [var low, var high]
                ? FormattableString.Invariant($" [{low:+0.000;-0.000;0.000}, {high:+0.000;-0.000;0.000}]")
                : ""
        );
}
