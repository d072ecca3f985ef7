using System.Globalization;
using System.Text;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Transforms.Images;
using static Amil.MLNet.Application.Runs.RunReport;

namespace Amil.MLNet.Application.Runs;

/// <summary>A slide run's test slides, read from what training wrote (nothing is scored again): test_scores.json,
/// localization.json (tile AUROC/AP, FROC) and each slide's heatmap, worst first.</summary>
internal sealed class SlideReportItems : ReportItems
{
    /// <summary>Longest side of a heatmap in the report.</summary>
    private const int ThumbnailSide = 640;

    private readonly string runDir;
    private readonly IReadOnlyList<string> classes;
    private readonly List<TestScores.Score> scores;
    private readonly SlideLocalization.Report? localization;
    private readonly string unit;

    private SlideReportItems(
        string runDir,
        IReadOnlyList<string> classes,
        List<TestScores.Score> scores,
        SlideLocalization.Report? localization,
        string unit
    ) =>
        (this.runDir, this.classes, this.scores, this.localization, this.unit) = (
            runDir,
            classes,
            scores,
            localization,
            unit
        );

    public static SlideReportItems Read(string runDir, RunMetrics metrics)
    {
        var scoresFile = Path.Combine(runDir, TestScores.FileName);
        if (!File.Exists(scoresFile))
            throw new ArgumentException(
                $"{runDir}: no {TestScores.FileName}; slide runs trained before report.html existed for them lack "
                    + "it. Train again for the report; metrics.json, localization.json and heatmaps/ hold the figures."
            );
        var localizationFile = Path.Combine(runDir, RunFiles.LocalizationFile);
        return new SlideReportItems(
            runDir,
            metrics.Classes,
            ReadJson<List<TestScores.Score>>(scoresFile),
            File.Exists(localizationFile) ? ReadJson<SlideLocalization.Report>(localizationFile) : null,
            metrics.Unit
        );
    }

    public override string Noun => unit;

    public override string MapKind => localization?.Methods.FirstOrDefault()?.Map ?? "attention";

    public override IReadOnlyList<(float[] Probabilities, string Label)> Scores =>
        [.. scores.Select(s => (s.Probabilities, s.Label))];

    public override void AppendLocalization(StringBuilder html)
    {
        if (localization is not { } report)
            return;
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
            string Cell(string name, double? value) => SlideLocalization.WithInterval(m, name, value);
            html.Append(
                CultureInfo.InvariantCulture,
                $"<tr><td class=\"name\">{Enc(m.Map)}</td><td>{Cell("instance_auroc", m.InstanceAuroc)}</td>"
                    + $"<td>{Cell("instance_ap", m.InstanceAp)}</td><td>{Cell("froc", m.Froc)}</td>"
            );
            foreach (var sensitivity in m.FrocSensitivityAt)
                html.Append(CultureInfo.InvariantCulture, $"<td>{F(sensitivity)}</td>");
            html.Append("</tr>");
        }
        html.Append(
            "</table><p>FROC: mean lesion sensitivity at the false positives per slide above (CAMELYON16).</p>"
        );
        if (report.Bootstrap is { } boot)
            html.Append($"<p>{Enc(boot.Describe())}</p>");
    }

    /// <summary>Each test slide's heatmap (heatmaps/ID.png: the map × p(tumour) over the thumbnail, one colour scale
    /// for all slides), lowest probability of the true class first.</summary>
    public override void AppendGallery(StringBuilder html)
    {
        var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        var ordered = scores
            .Where(s => index.ContainsKey(s.Label))
            .OrderBy(s => s.Probabilities[index[s.Label]])
            .ToList();
        html.Append(
            $"<h2>Test {Enc(unit)}, worst first</h2><p>Each slide's map × p(tumour classes) over its thumbnail, "
                + "one jet "
                + "colour scale shared by every slide (a tumour-free slide stays cool); QuPath GeoJSON beside each "
                + "PNG in heatmaps/.</p><div class=\"gallery\">"
        );
        foreach (var s in ordered)
        {
            string id = SlideLayout.SlideId(s.Path);
            // A patient's item is its slide set: each of its slides' heatmaps.
            var slides = Slides.SlideSets.IsSet(s.Path) ? Listed(s.Path) : [s.Path];
            var pictures = slides.Select(Picture).Where(p => p is not null).ToList();
            string picture = pictures.Count > 0 ? string.Concat(pictures) : "(no heatmap: the slide has no mask)";
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

    /// <summary>The slides a set lists, whether or not they are still where they were (the heatmaps are by
    /// name).</summary>
    private static IReadOnlyList<string> Listed(string set) =>
        File.Exists(set)
            ? [.. File.ReadAllLines(set).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))]
            : [];

    /// <summary>A slide's heatmap (heatmaps/ID.png) as an embedded JPEG, or null when there is none.</summary>
    private string? Picture(string slide)
    {
        string id = SlideLayout.SlideId(slide);
        var png = Path.Combine(runDir, "heatmaps", id + ".png");
        if (!File.Exists(png))
            return null;
        var image = RgbImageReader.Read(png);
        double scale = Math.Min(1.0, ThumbnailSide / (double)Math.Max(image.Width, image.Height));
        var small = ImageResizer.Resize(
            image,
            Math.Max(1, (int)(image.Width * scale)),
            Math.Max(1, (int)(image.Height * scale))
        );
        return $"<img alt=\"{Enc(id)}\" src=\"data:image/jpeg;base64,"
            + $"{Convert.ToBase64String(RgbImageWriter.EncodeJpeg(small))}\">";
    }
}
