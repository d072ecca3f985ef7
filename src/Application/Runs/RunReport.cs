using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Maps.Heatmaps;
using Amil.MLNet.Maps.Metrics;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Application.Runs;

/// <summary>
/// report.html for a run folder: training curves, ROC, confusion matrix, metrics, localization (when the test images
/// have masks) and a gallery of test images with their maps, worst cases first. Self-contained: charts and images
/// are embedded.
/// </summary>
public static class RunReport
{
    public const string FileName = "report.html";

    /// <summary>metrics.json's unit for slide runs.</summary>
    public const string SlideUnit = "slides";

    /// <summary>metrics.json's unit for runs on patient bags (each patient's slides one bag).</summary>
    public const string PatientUnit = "patients";

    /// <summary>Whether a run of this unit scored slides (one or a patient's several a bag).</summary>
    public static bool IsSlideLevel(string unit) => unit is SlideUnit or PatientUnit;

    /// <summary>Writes runDir/report.html; <paramref name="gradCamModelPath"/> adds the CNN baseline's Grad-CAM beside
    /// attention (image runs).</summary>
    /// <param name="scoring">Where an image run's models score again (default: the CPU).</param>
    public static string Write(
        string runDir,
        string? gradCamModelPath,
        Action<string> log,
        ScoringOptions? scoring = null
    )
    {
        if (!Directory.Exists(runDir))
            throw new DirectoryNotFoundException(
                $"{runDir}: no such run folder; pass the folder train wrote (runs/<name>)."
            );
        var metrics = ReadJson<RunMetrics>(Path.Combine(runDir, RunFiles.MetricsFile));
        ReportItems items = IsSlideLevel(metrics.Unit)
            ? gradCamModelPath is null
                ? SlideReportItems.Read(runDir, metrics)
                : throw new ArgumentException(
                    $"{runDir} is a slide-level run; a Grad-CAM model is compared on image runs only."
                )
            : ImageReportItems.Score(
                runDir,
                gradCamModelPath,
                scoring ?? ScoringOptions.Default,
                metrics.Localization?.Scores
            );
        var scores = items.Scores;
        var path = Path.Combine(runDir, FileName);
        log($"Writing {path} ({scores.Count} test {items.Noun})…");

        var classes = metrics.Classes;
        var html = Head(runDir, classes, items.MapKind);
        AppendTraining(html, runDir);
        if (scores.Count > 0)
            html.Append(
                Img(
                    ReportCharts.Roc(
                        RocCurves([.. scores.Select(s => s.Probabilities)], [.. scores.Select(s => s.Label)], classes)
                    )
                )
            );
        html.Append("</div>");
        html.Append(CultureInfo.InvariantCulture, $"<h2>Metrics ({items.Noun})</h2>").Append(MetricsTable(metrics));
        if (metrics.Test is { } t)
            html.Append(
                    CultureInfo.InvariantCulture,
                    $"<h3>Confusion matrix (test {items.Noun}; rows true, columns predicted)</h3>"
                )
                .Append(ConfusionTable(t.ConfusionMatrix, classes));
        if (metrics.Calibration is { } calibration)
            AppendCalibration(html, calibration);
        if (metrics.Test?.AccuracyCoverage is { Count: > 0 } coverage)
            html.Append("<h3>Abstaining on uncertain cases</h3><div class=\"charts\">")
                .Append(Img(ReportCharts.Coverage(coverage)))
                .Append("</div>");
        items.AppendLocalization(html);
        if (QualityReport.Read(runDir) is { } quality)
            QualityReport.AppendHtml(html, quality);
        items.AppendGallery(html);
        html.Append("</body></html>\n");
        AtomicFile.WriteText(path, html.ToString());
        return path;
    }

    /// <summary>Temperature scaling's effect on the test split: a before/after table and the reliability
    /// diagram.</summary>
    internal static void AppendCalibration(StringBuilder html, CalibrationBlock c)
    {
        html.Append(
            FormattableString.Invariant($"<h3>Calibration</h3><p>Temperature scaling: T = {c.Temperature:G4}, ")
                + $"fitted on {Enc(c.FittedOn)}; measured on {Enc(c.MeasuredOn)}. The predicted classes are the same "
                + "before and after.</p><table><tr><th class=\"name\"></th><th>ECE</th><th>Brier</th>"
                + "<th>log-loss</th></tr>"
                + $"<tr><td class=\"name\">before (T = 1)</td><td>{F(c.EceBefore)}</td><td>{F(c.BrierBefore)}</td>"
                + $"<td>{F(c.LogLossBefore)}</td></tr>"
                + $"<tr><td class=\"name\">after</td><td>{F(c.Ece)}</td><td>{F(c.Brier)}</td>"
                + $"<td>{F(c.LogLoss)}</td></tr></table>"
        );
        html.Append(
            "<div class=\"charts\">"
                + Img(ReportCharts.Reliability([("before (T = 1)", c.BinsBefore), ("after", c.Bins)]))
                + "</div>"
        );
    }

    /// <summary>The page up to its first section: title, style, the run's name, classes and map kind.</summary>
    internal static StringBuilder Head(string runDir, IReadOnlyList<string> classes, string mapKind)
    {
        var html = new StringBuilder();
        html.Append(
            CultureInfo.InvariantCulture,
            $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Amil.MLNet run {{Enc(Path.GetFileName(runDir))}}</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1300px; }
            h1 { margin-bottom: 0.2em; } .sub { color: #666; margin-top: 0; }
            table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
            td, th { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }
            th { background: #f3f3f3; } td.name { text-align: left; }
            .charts img { margin: 0 1em 1em 0; border: 1px solid #eee; }
            .gallery figure { display: inline-block; margin: 0 1em 1.2em 0; vertical-align: top; }
            .gallery figcaption { font-size: 0.85em; color: #444; max-width: 700px; }
            .wrong { color: #b00; font-weight: bold; }
            </style></head><body>
            <h1>Run {{Enc(Path.GetFileName(runDir))}}</h1>
            <p class="sub">{{Enc(runDir)}} — classes {{Enc(
                string.Join(", ", classes)
            )}} — {{mapKind}} maps — written {{DateTime.Now:yyyy-MM-dd HH:mm}}</p>
            """
        );
        return html;
    }

    /// <summary>Opens the charts block with the training curves; the caller adds the ROC and closes it.</summary>
    internal static void AppendTraining(StringBuilder html, string runDir)
    {
        html.Append("<h2>Training</h2><div class=\"charts\">");
        var history = ReadHistory(Path.Combine(runDir, "history.csv"));
        if (history.Epochs.Length > 0)
        {
            html.Append(
                Img(
                    ReportCharts.Curves(
                        "Loss",
                        "cross-entropy",
                        [
                            ("train", history.Epochs, history.TrainLoss),
                            ("validation", history.ValidationEpochs, history.ValidationLoss),
                        ]
                    )
                )
            );
            html.Append(
                Img(
                    ReportCharts.Curves(
                        "Accuracy",
                        "accuracy",
                        [
                            ("train", history.Epochs, history.TrainAccuracy),
                            ("validation", history.ValidationEpochs, history.ValidationAccuracy),
                        ]
                    )
                )
            );
        }
    }

    /// <summary>ROC curves of scored items with their true labels.</summary>
    internal static IReadOnlyList<(string, double[], double[])> RocCurves(
        IReadOnlyList<float[]> probabilities,
        IReadOnlyList<string> labels,
        IReadOnlyList<string> classes
    )
    {
        var curves = new List<(string, double[], double[])>();
        // Binary: the second class is the positive one (as for the AUC in metrics.json); more classes: one curve per
        // class against the rest.
        var positives = classes.Count == 2 ? [1] : Enumerable.Range(0, classes.Count);
        foreach (int c in positives)
        {
            var scores = probabilities.Select(p => (double)p[c]).ToList();
            var truth = labels.Select(l => l == classes[c]).ToList();
            var (fpr, tpr) = RocCurve.Points(scores, truth);
            double? auc = Maps.Metrics.RankMetrics.Auroc(scores, truth);
            curves.Add(
                (
                    $"{classes[c]} (AUC {(auc is double a ? a.ToString("F3", CultureInfo.InvariantCulture) : "n/a")})",
                    fpr,
                    tpr
                )
            );
        }
        return curves;
    }

    internal static string MetricsTable(RunMetrics m)
    {
        var rows = new StringBuilder(
            "<table><tr><th "
                + "class=\"name\">split</th><th>images</th><th>accuracy</th><th>macro-F1</th><th>log-loss</th><th>ROC "
                + "AUC</th><th>patient accuracy</th><th>ECE</th><th>Brier</th></tr>"
        );
        foreach (var (name, b) in new[] { ("validation", m.Validation), ("test", m.Test) })
            if (b is not null)
                rows.Append(
                    CultureInfo.InvariantCulture,
                    $"<tr><td class=\"name\">{name}</td><td>{b.Images}</td>"
                        + $"<td>{b.WithInterval("accuracy", b.Accuracy)}</td>"
                        + $"<td>{b.WithInterval("macro_f1", b.MacroF1)}</td>"
                        + $"<td>{b.WithInterval("log_loss", b.LogLoss)}</td><td>{b.WithInterval("auc", b.Auc)}</td>"
                        + $"<td>{b.WithInterval("patient_accuracy", b.PatientAccuracy)}</td>"
                        + $"<td>{b.WithInterval("ece", b.Ece)}</td><td>{b.WithInterval("brier", b.Brier)}</td></tr>"
                );
        rows.Append("</table>");
        if (m.Test?.Staging is { } staging)
            rows.Append(
                $"<p>Patient pN stage from the predicted nodes (CAMELYON17's rules), {staging.Patients} patients: "
                    + $"quadratic-weighted kappa {staging.WithInterval("kappa", staging.Kappa)}, agreement "
                    + $"{staging.WithInterval("agreement", staging.Agreement)}.</p>"
            );
        if ((m.Test ?? m.Validation)?.Bootstrap is { } boot)
            rows.Append(
                CultureInfo.InvariantCulture,
                $"<p>In brackets: {boot.Level:P0} bootstrap intervals, {boot.Resamples} resamples by {boot.By} "
                    + $"(seed {boot.Seed}).</p>"
            );
        if (m.BestEpoch is int best)
            rows.Append(
                CultureInfo.InvariantCulture,
                $"<p>Best epoch {best} of {m.EpochsRun}; training took {m.TrainSeconds:F0} s.</p>"
            );
        if (m.SkippedImages is { Count: > 0 } skipped)
            rows.Append(
                CultureInfo.InvariantCulture,
                $"<p>{skipped.Count} bad file(s) skipped (listed in metrics.json).</p>"
            );
        return rows.ToString();
    }

    internal static string ConfusionTable(int[][] matrix, IReadOnlyList<string> classes)
    {
        var t = new StringBuilder("<table><tr><th></th>");
        foreach (var c in classes)
            t.Append(CultureInfo.InvariantCulture, $"<th>{Enc(c)}</th>");
        t.Append("</tr>");
        for (int i = 0; i < matrix.Length; i++)
        {
            int total = Math.Max(1, matrix[i].Sum());
            t.Append(CultureInfo.InvariantCulture, $"<tr><th>{Enc(classes[i])}</th>");
            for (int j = 0; j < matrix[i].Length; j++)
            {
                // Shade by the share of the true class: the diagonal should be dark.
                int shade = 255 - (int)(150.0 * matrix[i][j] / total);
                t.Append(
                    CultureInfo.InvariantCulture,
                    $"<td style=\"background: rgb({shade},{shade},255)\">{matrix[i][j]}</td>"
                );
            }
            t.Append("</tr>");
        }
        return t.Append("</table>").ToString();
    }

    private sealed record History(
        double[] Epochs,
        double[] TrainLoss,
        double[] TrainAccuracy,
        double[] ValidationEpochs,
        double[] ValidationLoss,
        double[] ValidationAccuracy
    );

    private static History ReadHistory(string path)
    {
        if (!File.Exists(path))
            return new History([], [], [], [], [], []);
        var rows = File.ReadAllLines(path).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToList();
        double P(string s) =>
            double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
        var validation = rows.Where(r => !double.IsNaN(P(r[3]))).ToList();
        return new History(
            [.. rows.Select(r => P(r[0]))],
            [.. rows.Select(r => P(r[1]))],
            [.. rows.Select(r => P(r[2]))],
            [.. validation.Select(r => P(r[0]))],
            [.. validation.Select(r => P(r[3]))],
            [.. validation.Select(r => P(r[4]))]
        );
    }

    internal static T ReadJson<T>(string path) =>
        File.Exists(path)
            ? JsonSerializer.Deserialize<T>(File.ReadAllText(path), RunFiles.Json)
                ?? throw new InvalidDataException($"{path}: empty.")
            : throw new FileNotFoundException($"{path}: not found; the report needs a finished run folder.", path);

    internal static string Img(byte[] png) => $"<img src=\"data:image/png;base64,{Convert.ToBase64String(png)}\">";

    internal static string Enc(string s) => WebUtility.HtmlEncode(s);

    internal static string F(double? v) => v is double d ? d.ToString("F3", CultureInfo.InvariantCulture) : "–";
}
