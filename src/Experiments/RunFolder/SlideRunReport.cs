using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Images;
using static Amil.MLNet.Experiments.RunFolders.RunReport;

namespace Amil.MLNet.Experiments.RunFolders;

/// <summary>
/// report.html for a slide-level run, drawn from what the run folder holds (nothing is scored again): training
/// curves, ROC, metrics and confusion matrix of the test slides, the localization table with FROC, and each test
/// slide's heatmap, worst first. Self-contained like the image runs' report.
/// </summary>
public static class SlideRunReport
{
    /// <summary>metrics.json's unit for slide runs.</summary>
    public const string Unit = "slides";

    /// <summary>The test slides' scores, written by slide training for the report.</summary>
    public const string TestScoresFile = "test_scores.json";

    /// <summary>Longest side of a heatmap in the report.</summary>
    private const int ThumbnailSide = 640;

    public sealed record SlideScore(
        [property: JsonPropertyName("path")] string Path,
        [property: JsonPropertyName("label")] string Label,
        [property: JsonPropertyName("predicted")] string Predicted,
        [property: JsonPropertyName("probabilities")] float[] Probabilities
    );

    /// <summary>Writes the test slides' scores into the run folder (same order as the test split).</summary>
    public static void WriteTestScores(
        string runDir,
        IReadOnlyList<ImageRecord> slides,
        IReadOnlyList<ScoredImage> scored,
        IReadOnlyList<string> classes
    ) =>
        RunFiles.WriteJson(
            System.IO.Path.Combine(runDir, TestScoresFile),
            slides
                .Zip(scored)
                .Select(p => new SlideScore(
                    p.First.Path,
                    p.First.Label,
                    classes[p.Second.PredictedIndex],
                    p.Second.Probabilities
                ))
                .ToList()
        );

    /// <summary>Writes runDir/report.html (called by <see cref="RunReport.Write"/> for slide runs).</summary>
    internal static string Write(string runDir, RunMetrics metrics, Action<string> log)
    {
        var scoresFile = Path.Combine(runDir, TestScoresFile);
        if (!File.Exists(scoresFile))
            throw new ArgumentException(
                $"{runDir}: no {TestScoresFile}; slide runs trained before report.html existed for them lack it. "
                    + "Train again for the report; metrics.json, localization.json and heatmaps/ hold the figures."
            );
        var scores = ReadJson<List<SlideScore>>(scoresFile);
        var localizationFile = Path.Combine(runDir, RunFiles.LocalizationFile);
        var localization = File.Exists(localizationFile) ? ReadJson<SlideLocalization.Report>(localizationFile) : null;
        var classes = metrics.Classes;
        log($"Writing {Path.Combine(runDir, RunReport.FileName)} ({scores.Count} test slides)…");

        string mapKind = localization?.Methods.FirstOrDefault()?.Map ?? "attention";
        var html = Head(runDir, classes, mapKind);
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
        html.Append("<h2>Metrics (slides)</h2>").Append(MetricsTable(metrics));
        if (metrics.Test is { } t)
            html.Append("<h3>Confusion matrix (test slides; rows true, columns predicted)</h3>")
                .Append(ConfusionTable(t.ConfusionMatrix, classes));
        if (localization is not null)
            AppendLocalization(html, localization);
        AppendHeatmaps(html, runDir, scores, classes);
        html.Append("</body></html>\n");
        var path = Path.Combine(runDir, RunReport.FileName);
        AtomicFile.WriteText(path, html.ToString());
        return path;
    }

    private static void AppendLocalization(StringBuilder html, SlideLocalization.Report report)
    {
        html.Append(
            CultureInfo.InvariantCulture,
            $"<h2>Localization ({report.Slides} test slides with masks, {report.Tiles} tiles, {report.TumourTiles} "
                + $"tumour tiles, {report.Lesions} lesions)</h2>"
        );
        html.Append("<table><tr><th class=\"name\">map</th><th>tile AUROC</th><th>tile AP</th><th>FROC</th>");
        foreach (var rate in report.FrocRates)
            html.Append(CultureInfo.InvariantCulture, $"<th>sensitivity at {rate:0.###} FP/slide</th>");
        html.Append("</tr>");
        foreach (var m in report.Methods)
        {
            html.Append(
                CultureInfo.InvariantCulture,
                $"<tr><td class=\"name\">{Enc(m.Map)}</td><td>{F(m.InstanceAuroc)}</td><td>{F(m.InstanceAp)}</td>"
                    + $"<td>{F(m.Froc)}</td>"
            );
            foreach (var sensitivity in m.FrocSensitivityAt)
                html.Append(CultureInfo.InvariantCulture, $"<td>{F(sensitivity)}</td>");
            html.Append("</tr>");
        }
        html.Append(
            "</table><p>FROC: mean lesion sensitivity at the false positives per slide above (CAMELYON16).</p>"
        );
    }

    /// <summary>Each test slide's heatmap (heatmaps/ID.png: the map × p(tumour) over the thumbnail, one colour scale
    /// for all slides), lowest probability of the true class first.</summary>
    private static void AppendHeatmaps(
        StringBuilder html,
        string runDir,
        IReadOnlyList<SlideScore> scores,
        IReadOnlyList<string> classes
    )
    {
        var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        var ordered = scores
            .Where(s => index.ContainsKey(s.Label))
            .OrderBy(s => s.Probabilities[index[s.Label]])
            .ToList();
        html.Append(
            "<h2>Test slides, worst first</h2><p>Each slide's map × p(tumour classes) over its thumbnail, one jet "
                + "colour scale shared by every slide (a tumour-free slide stays cool); QuPath GeoJSON beside each "
                + "PNG in heatmaps/.</p><div class=\"gallery\">"
        );
        foreach (var s in ordered)
        {
            string id = SlideLayout.SlideId(s.Path);
            var png = Path.Combine(runDir, "heatmaps", id + ".png");
            string picture = "(no heatmap: the slide has no mask)";
            if (File.Exists(png))
            {
                var image = RgbImageReader.Read(png);
                double scale = Math.Min(1.0, ThumbnailSide / (double)Math.Max(image.Width, image.Height));
                var small = ImageResizer.Resize(
                    image,
                    Math.Max(1, (int)(image.Width * scale)),
                    Math.Max(1, (int)(image.Height * scale))
                );
                picture =
                    $"<img alt=\"{Enc(id)}\" src=\"data:image/jpeg;base64,"
                    + $"{Convert.ToBase64String(RgbImageWriter.EncodeJpeg(small))}\">";
            }
            bool wrong = s.Predicted != s.Label;
            html.Append(
                CultureInfo.InvariantCulture,
                $"<figure>{picture}<figcaption>{Enc(id)} — true {Enc(s.Label)}, predicted "
                    + $"<span class=\"{(wrong ? "wrong" : "")}\">{Enc(s.Predicted)}</span> (p(true) = "
                    + $"{s.Probabilities[index[s.Label]]:F3})</figcaption></figure>"
            );
        }
        html.Append("</div>");
    }
}
