using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Amil.MLNet.Maps.Metrics;

namespace Amil.MLNet.Application.Study;

/// <summary>One fold's temperature scaling as its test split measured it (cv.json's <c>calibration</c>): the fitted
/// T and ECE, Brier and log-loss before and after. A fold whose T stayed 1 (no validation split, or one the model
/// ranks perfectly) has the same figures before and after.</summary>
public sealed record CrossValidationCalibration(
    [property: JsonPropertyName("fold")] int Fold,
    [property: JsonPropertyName("temperature")] double Temperature,
    [property: JsonPropertyName("ece_before")] double? EceBefore,
    [property: JsonPropertyName("ece")] double? Ece,
    [property: JsonPropertyName("brier_before")] double? BrierBefore,
    [property: JsonPropertyName("brier")] double? Brier,
    [property: JsonPropertyName("log_loss_before")] double? LogLossBefore,
    [property: JsonPropertyName("log_loss")] double? LogLoss
)
{
    /// <summary>The fold's row, from its calibration block or, where T stayed 1, its test figures.</summary>
    internal static CrossValidationCalibration? Of(int fold, Runs.RunMetrics metrics)
    {
        if (metrics.Calibration is { } c)
            return new(fold, c.Temperature, c.EceBefore, c.Ece, c.BrierBefore, c.Brier, c.LogLossBefore, c.LogLoss);
        return metrics.Test is { } t ? new(fold, 1, t.Ece, t.Ece, t.Brier, t.Brier, t.LogLoss, t.LogLoss) : null;
    }

    /// <summary>The folds' calibration as a Markdown table.</summary>
    internal static string Markdown(IReadOnlyList<CrossValidationCalibration> folds)
    {
        var text = new StringBuilder(
            "## Calibration on each fold's test split, before → after temperature scaling\n\n"
                + "| fold | T | ECE | Brier | log-loss |\n|---|---|---|---|---|\n"
        );
        foreach (var f in folds)
            text.Append(CultureInfo.InvariantCulture, $"| {f.Fold} | {f.Temperature:0.###} | ")
                .Append(string.Join(" | ", Change(f.EceBefore, f.Ece), Change(f.BrierBefore, f.Brier)))
                .Append(" | ")
                .Append(Change(f.LogLossBefore, f.LogLoss))
                .Append(" |\n");
        return text.ToString();
    }

    /// <summary>Accuracy against coverage as a Markdown table: the most certain share of the items kept.</summary>
    internal static string CoverageMarkdown(IReadOnlyList<CoveragePoint> curve, int items)
    {
        string Row(string name, Func<CoveragePoint, string> cell) =>
            $"| {name} | {string.Join(" | ", curve.Select(cell))} |\n";
        return FormattableString.Invariant(
                $"## Accuracy against coverage (pooled out-of-fold, {items} items, most certain first)\n\n"
            )
            + Row("coverage", p => p.Coverage.ToString("P0", CultureInfo.InvariantCulture).Replace(" ", ""))
            + $"|---|{string.Concat(curve.Select(_ => "---|"))}\n"
            + Row("accuracy", p => p.Accuracy.ToString("F3", CultureInfo.InvariantCulture))
            + Row("uncertainty at most", p => p.UncertaintyAtMost.ToString("F3", CultureInfo.InvariantCulture));
    }

    private static string Change(double? before, double? after) =>
        before is { } b && after is { } a ? FormattableString.Invariant($"{b:F3} → {a:F3}") : "–";
}
