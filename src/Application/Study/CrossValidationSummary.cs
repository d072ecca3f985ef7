using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Amil.MLNet.Application.Runs;

namespace Amil.MLNet.Application.Study;

/// <summary>cv.json: a row per fold (its test block's metrics), each metric's mean ± sd over the folds, and — when
/// every item is tested once (no held-out test set) — the pooled out-of-fold metrics with bootstrap intervals by
/// patient.</summary>
public sealed record CrossValidationSummary(
    [property: JsonPropertyName("dataset")] string Dataset,
    [property: JsonPropertyName("folds")] int Folds,
    [property: JsonPropertyName("held_out_test")] double HeldOutTest,
    [property: JsonPropertyName("columns")] IReadOnlyList<string> Columns,
    [property: JsonPropertyName("rows")] IReadOnlyList<CrossValidationSummary.Row> Rows,
    [property: JsonPropertyName("mean")] IReadOnlyList<double?> Mean,
    [property: JsonPropertyName("sd")] IReadOnlyList<double?> Sd,
    [property: JsonPropertyName("pooled")] ClassificationMetrics? Pooled
)
{
    /// <summary>Each fold's temperature scaling, measured on its test split.</summary>
    [JsonPropertyName("calibration")]
    public IReadOnlyList<CrossValidationCalibration> Calibration { get; init; } = [];

    /// <summary>The maps against the masks, a table per map (none when the items have no masks).</summary>
    [JsonPropertyName("localization")]
    public IReadOnlyList<CrossValidationLocalization> Localization { get; init; } = [];

    /// <summary>A finished fold as the job saw it.</summary>
    public sealed record Fold(int Number, string RunDirectory, RunMetrics Metrics)
    {
        /// <summary>Its test split's maps against their masks, as its run measured them (metrics.json for images,
        /// localization.json for slides).</summary>
        public TestLocalization.Measured Localization()
        {
            string slides = Path.Combine(RunDirectory, RunFiles.LocalizationFile);
            return RunReport.IsSlideLevel(Metrics.Unit)
                ? new(null, File.Exists(slides) ? RunReport.ReadJson<SlideLocalization.Report>(slides) : null)
                : new(Metrics.Localization, null);
        }
    }

    /// <summary>One fold's test figures, in <see cref="Columns"/> order.</summary>
    public sealed record Row(
        [property: JsonPropertyName("fold")] int Fold,
        [property: JsonPropertyName("run")] string Run,
        [property: JsonPropertyName("test_items")] int TestItems,
        [property: JsonPropertyName("values")] IReadOnlyList<double?> Values
    );

    /// <summary>The metrics of a fold's test block each row holds.</summary>
    public static readonly IReadOnlyList<string> MetricColumns =
    [
        "accuracy",
        "macro_f1",
        "auc",
        "log_loss",
        "ece",
        "brier",
        "patient_accuracy",
    ];

    public static CrossValidationSummary Of(string dataset, CrossValidationJob.Plan plan, IReadOnlyList<Fold> folds)
    {
        var rows = folds
            .Select(f => new Row(f.Number, f.RunDirectory, f.Metrics.Test?.Images ?? 0, Values(f.Metrics.Test)))
            .ToList();
        var stats = Enumerable
            .Range(0, MetricColumns.Count)
            .Select(c => StudySummary.MeanSd.Of([.. rows.Select(r => r.Values[c]).OfType<double>()]))
            .ToList();
        return new CrossValidationSummary(
            dataset,
            plan.Folds,
            plan.HeldOutTest,
            MetricColumns,
            rows,
            [.. stats.Select(m => m is null ? (double?)null : Math.Round(m.Mean, 4))],
            [.. stats.Select(m => m is null ? (double?)null : Math.Round(m.Sd, 4))],
            plan.HeldOutTest > 0 ? null : PooledOf(folds)
        )
        {
            Calibration =
            [
                .. folds
                    .Select(f => CrossValidationCalibration.Of(f.Number, f.Metrics))
                    .OfType<CrossValidationCalibration>(),
            ],
        };
    }

    /// <summary>Every fold's test scores together: each item scored once, by the model that never saw it.</summary>
    private static ClassificationMetrics? PooledOf(IReadOnlyList<Fold> folds)
    {
        var classes = folds[0].Metrics.Classes;
        if (folds.Any(f => !f.Metrics.Classes.SequenceEqual(classes)))
            return null;
        var scores = folds
            .Where(f => File.Exists(Path.Combine(f.RunDirectory, TestScores.FileName)))
            .SelectMany(f => TestScores.Read(f.RunDirectory))
            .ToList();
        if (scores.Count == 0)
            return null;
        var index = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i);
        return ClassificationMetrics.Compute(
            [.. scores.Select(s => s.Probabilities)],
            [.. scores.Select(s => index[s.Label])],
            [.. scores.Select(s => s.Patient)],
            classes.Count
        );
    }

    private static double?[] Values(ClassificationMetrics? m) =>
        m is null
            ? new double?[MetricColumns.Count]
            : [m.Accuracy, m.MacroF1, m.Auc, m.LogLoss, m.Ece, m.Brier, m.PatientAccuracy];

    /// <summary>cv.md: the per-fold table with a mean ± sd row, then the pooled line; then each map's localization
    /// table.</summary>
    public string Markdown()
    {
        var text = new StringBuilder();
        text.Append(
                CultureInfo.InvariantCulture,
                $"# {Dataset}: {Folds}-fold cross-validation, grouped by patient, stratified by class"
            )
            .Append("\n\n")
            .Append(
                HeldOutTest > 0
                    ? FormattableString.Invariant($"Each fold tested on the same held-out test set ({HeldOutTest:P0}).")
                    : "Each fold tested on its own fold: every item tested once, by a model that did not train on it."
            )
            .Append("\n\n| fold | test items | ")
            .Append(string.Join(" | ", Columns))
            .Append(" |\n|---|---|")
            .Append(string.Concat(Columns.Select(_ => "---|")))
            .Append('\n');
        foreach (var row in Rows)
            text.Append(CultureInfo.InvariantCulture, $"| {row.Fold} | {row.TestItems} | ")
                .Append(string.Join(" | ", row.Values.Select(Cell)))
                .Append(" |\n");
        text.Append("| mean ± sd | | ")
            .Append(string.Join(" | ", Mean.Select((m, i) => MeanSd(m, Sd[i]))))
            .Append(" |\n");
        if (Pooled is { } p)
            text.Append("\nPooled out-of-fold (")
                .Append(p.Images.ToString(CultureInfo.InvariantCulture))
                .Append(" items, 95 % bootstrap intervals by ")
                .Append(p.Bootstrap?.By ?? "item")
                .Append("): accuracy ")
                .Append(p.WithInterval("accuracy", p.Accuracy))
                .Append(", macro-F1 ")
                .Append(p.WithInterval("macro_f1", p.MacroF1))
                .Append(", AUC ")
                .Append(p.WithInterval("auc", p.Auc))
                .Append(", log-loss ")
                .Append(p.WithInterval("log_loss", p.LogLoss))
                .Append(", ECE ")
                .Append(p.WithInterval("ece", p.Ece))
                .Append(", Brier ")
                .Append(p.WithInterval("brier", p.Brier))
                .Append(".\n");
        if (Calibration.Count > 0)
            text.Append('\n').Append(CrossValidationCalibration.Markdown(Calibration));
        if (Pooled?.AccuracyCoverage is { Count: > 0 } curve)
            text.Append('\n').Append(CrossValidationCalibration.CoverageMarkdown(curve, Pooled.Images));
        foreach (var table in Localization)
            text.Append('\n').Append(table.Markdown());
        if (Localization.Count > 0)
            text.Append(
                "\nEach fold's figures with its own 95 % interval; pooled: every test item scored by its fold's model "
                    + "and measured together, intervals by patient (by slide or image where none is known).\n"
            );
        return text.ToString();
    }

    /// <summary>"mean ± sd" as the tables print it; "–" where no fold has the figure.</summary>
    internal static string MeanSd(double? mean, double? sd) => mean is null ? "–" : $"{Cell(mean)} ± {Cell(sd)}";

    private static string Cell(double? v) => v is double d ? d.ToString("F3", CultureInfo.InvariantCulture) : "–";
}
