using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Slides;
using static Amil.MLNet.Application.Runs.RunReport;

namespace Amil.MLNet.Application.Runs;

/// <summary>quality.json of a slide run trained with quality control: every slide's tissue tiles, the tiles kept and
/// how many held each flag, with the slide's side of the split; report.html lists it, most excluded first.</summary>
public static class QualityReport
{
    public const string FileName = "quality.json";

    /// <summary>One slide's line.</summary>
    public sealed record Slide(
        [property: JsonPropertyName("slide")] string Id,
        [property: JsonPropertyName("path")] string Path,
        [property: JsonPropertyName("split")] string Split,
        [property: JsonPropertyName("quality")] QualitySummary? Quality
    );

    /// <summary>Writes runDir/quality.json for the slides of <paramref name="split"/>, whose summaries
    /// <paramref name="summaries"/> gives by path.</summary>
    public static void Write(string runDir, DatasetSplit split, IReadOnlyDictionary<string, QualitySummary?> summaries)
    {
        var slides = split
            .Parts.SelectMany(p =>
                p.Records.Select(r => new Slide(
                    SlideLayout.SlideId(r.Path),
                    r.Path,
                    p.Name,
                    summaries.GetValueOrDefault(r.Path)
                ))
            )
            .ToList();
        RunFiles.WriteJson(Path.Combine(runDir, FileName), new { settings = new QualitySettings(), slides });
    }

    /// <summary>The slides of runDir/quality.json; null when the run has none (trained without quality
    /// control).</summary>
    public static IReadOnlyList<Slide>? Read(string runDir)
    {
        var path = Path.Combine(runDir, FileName);
        if (!File.Exists(path))
            return null;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            return json.RootElement.GetProperty("slides").Deserialize<List<Slide>>(RunFiles.Json)
                ?? throw new InvalidDataException($"{path}: no slides; train again to rewrite it.");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: not the quality.json train writes ({e.Message}); delete it.", e);
        }
    }

    /// <summary>The report's section: totals per flag, then each slide with tiles left out, most first.</summary>
    public static void AppendHtml(StringBuilder html, IReadOnlyList<Slide> slides)
    {
        var known = slides.Where(s => s.Quality is not null).ToList();
        if (known.Count == 0)
        {
            html.Append(
                FormattableString.Invariant($"<h2>Tile quality control ({slides.Count} slides)</h2><p>Every slide's ")
                    + "features were cached without their quality-control counts, so none is listed.</p>"
            );
            return;
        }
        int tissue = known.Sum(s => s.Quality!.TissueTiles),
            excluded = known.Sum(s => s.Quality!.Excluded);
        var flags = known.SelectMany(s => s.Quality!.Flagged.Keys).Distinct().ToList();
        var totals = flags.Select(f =>
            FormattableString.Invariant($"{Enc(f)} {known.Sum(s => s.Quality!.Flagged.GetValueOrDefault(f))}")
        );
        html.Append(
            FormattableString.Invariant($"<h2>Tile quality control ({slides.Count} slides)</h2><p>{excluded} of ")
                + FormattableString.Invariant($"{tissue} tissue tiles left out ({Share(excluded, tissue)}): ")
                + string.Join(", ", totals)
                + " (a tile may hold several flags). Flagged against each slide's own typical tile; "
                + "<code>amil slide --quality</code> draws a slide's flags.</p>"
        );
        if (known.Count < slides.Count)
            html.Append(
                FormattableString.Invariant($"<p>{slides.Count - known.Count} slides' features were cached without ")
                    + "their quality-control counts; they are not listed.</p>"
            );
        var listed = known.Where(s => s.Quality!.Excluded > 0).OrderByDescending(s => Fraction(s.Quality!)).ToList();
        if (listed.Count == 0)
            return;
        html.Append("<table><tr><th class=\"name\">slide</th><th class=\"name\">split</th><th>tissue tiles</th>");
        html.Append("<th>left out</th>");
        foreach (var f in flags)
            html.Append(CultureInfo.InvariantCulture, $"<th>{Enc(f)}</th>");
        html.Append("</tr>");
        foreach (var s in listed)
        {
            var q = s.Quality!;
            html.Append(
                CultureInfo.InvariantCulture,
                $"<tr><td class=\"name\">{Enc(s.Id)}</td><td class=\"name\">{Enc(s.Split)}</td>"
                    + $"<td>{q.TissueTiles}</td><td>{q.Excluded} ({Share(q.Excluded, q.TissueTiles)})</td>"
            );
            foreach (var f in flags)
                html.Append(CultureInfo.InvariantCulture, $"<td>{q.Flagged.GetValueOrDefault(f)}</td>");
            html.Append("</tr>");
        }
        html.Append("</table>");
    }

    private static double Fraction(QualitySummary q) => q.TissueTiles == 0 ? 0 : q.Excluded / (double)q.TissueTiles;

    private static string Share(int part, int whole) =>
        whole == 0 ? "0 %" : string.Create(CultureInfo.InvariantCulture, $"{100.0 * part / whole:0.#} %");
}
