using System.Globalization;
using System.Text;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Maps.Heatmaps;
using Amil.MLNet.Maps.Metrics;
using Amil.MLNet.Transforms.Images;
using static Amil.MLNet.Application.Runs.RunReport;

namespace Amil.MLNet.Application.Runs;

/// <summary>An image run's test images, scored again with its model (and a CNN baseline's Grad-CAM beside, when
/// given): localization against their masks and a gallery of maps, worst cases first.</summary>
internal sealed class ImageReportItems : ReportItems
{
    private const int GalleryEach = 4;

    private sealed record TestImage(
        ImageRecord Record,
        ScoredImage Scored,
        ScoredImage? GradCam,
        float TrueProbability
    );

    private readonly AmilModel model;
    private readonly AmilModel? gradCam;
    private readonly List<TestImage> images;
    private readonly LocalizationScores? measured;

    private ImageReportItems(
        AmilModel model,
        AmilModel? gradCam,
        List<TestImage> images,
        LocalizationScores? measured
    ) => (this.model, this.gradCam, this.images, this.measured) = (model, gradCam, images, measured);

    /// <summary>Scores the run's test images with its model.zip (and <paramref name="gradCamModelPath"/>); the model's
    /// own maps are shown as the run measured them (<paramref name="measured"/>, metrics.json's block), measured here
    /// only for runs that kept none.</summary>
    public static ImageReportItems Score(
        string runDir,
        string? gradCamModelPath,
        ScoringOptions scoring,
        LocalizationScores? measured = null
    )
    {
        var model = scoring.Load(Path.Combine(runDir, RunFiles.ModelFile), ModelInput.Images);
        var gradCam = gradCamModelPath is null ? null : scoring.Load(gradCamModelPath, ModelInput.Images);
        if (gradCam is not null && gradCam.MapKind != Trainers.MapKind.GradCam)
            throw new ArgumentException(
                $"{gradCamModelPath}: not a CNN baseline model; pass a model.zip from train --baseline cnn."
            );
        var test = ReadTestSplit(runDir);
        var classIndex = model.ClassNames.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        var known = test.Where(r => classIndex.ContainsKey(r.Label) && File.Exists(r.Path)).ToList();
        var scored = model.Score(known.Select(r => r.Path)).ToList();
        var gradCamScored = gradCam?.Score(known.Select(r => r.Path)).ToList();
        var images = known
            .Select(
                (r, i) => new TestImage(r, scored[i], gradCamScored?[i], scored[i].Probabilities[classIndex[r.Label]])
            )
            .ToList();
        return new ImageReportItems(model, gradCam, images, measured);
    }

    public override string Noun => "images";

    public override string MapKind => model.MapKind.Name();

    public override IReadOnlyList<(float[] Probabilities, string Label)> Scores =>
        [.. images.Select(i => (i.Scored.Probabilities, i.Record.Label))];

    public override void AppendLocalization(StringBuilder html)
    {
        string mapKind = model.MapKind.Name();
        var withMasks = images.Where(i => i.Record.MaskPath is not null).ToList();
        if (withMasks.Count == 0)
            return;
        var methods = new List<(string, LocalizationScores)>
        {
            (
                mapKind,
                measured
                    ?? Localizing
                        .Evaluate(model.ClassNames, withMasks.Select(i => (i.Record, i.Scored)), MapNormalization.None)
                        .Scores()
            ),
        };
        if (gradCam is not null)
            methods.Add(
                (
                    Trainers.MapKind.GradCam.Name(),
                    Localizing
                        .Evaluate(
                            gradCam.ClassNames,
                            withMasks.Select(i => (i.Record, i.GradCam!)),
                            MapNormalization.None
                        )
                        .Scores()
                )
            );
        html.Append(
            CultureInfo.InvariantCulture,
            $"<h2>Localization ({withMasks.Count} test images with masks, raw maps)</h2>"
        );
        html.Append(
            "<table><tr><th class=\"name\">method</th><th>instance AUROC</th><th>instance AP</th><th>pixel "
                + "AUROC</th><th>best Dice</th><th>best IoU</th><th>pointing game</th></tr>"
        );
        foreach (var (name, s) in methods)
        {
            string I(string metric, double? value) =>
                Bootstrap.WithInterval(value, s.Intervals?.GetValueOrDefault(metric));
            html.Append(
                CultureInfo.InvariantCulture,
                $"<tr><td class=\"name\">{name}</td><td>{I("instance_auroc", s.InstanceAuroc)}</td>"
                    + $"<td>{I("instance_ap", s.InstanceAp)}</td><td>{I("pixel_auroc", s.PixelAuroc)}</td>"
                    + $"<td>{I("best_dice", s.BestDice)}</td><td>{F(s.BestIou)}</td>"
                    + $"<td>{I("pointing_game", s.PointingGame)}</td></tr>"
            );
        }
        html.Append("</table>");
        if (methods[0].Item2.Bootstrap is { } bootstrap)
            html.Append("<p>").Append(System.Net.WebUtility.HtmlEncode(bootstrap.Describe())).Append("</p>");
    }

    public override void AppendGallery(StringBuilder html)
    {
        var ordered = images.OrderBy(i => i.TrueProbability).ToList();
        var worst = ordered.Take(GalleryEach).ToList();
        var best = ordered.AsEnumerable().Reverse().Where(i => !worst.Contains(i)).Take(GalleryEach).ToList();
        html.Append("<h2>Gallery</h2><p>Analysed region | ")
            .Append(model.MapKind.Name())
            .Append(" overlay")
            .Append(gradCam is null ? "" : " | Grad-CAM overlay (CNN baseline)")
            .Append(" — maps min–max normalised per image, jet colormap.</p>");
        foreach (
            var (title, group) in new[]
            {
                ("Worst cases (lowest probability of the true class)", worst),
                ("Best cases", best),
            }
        )
        {
            html.Append(CultureInfo.InvariantCulture, $"<h3>{title}</h3><div class=\"gallery\">");
            foreach (var image in group)
            {
                var rgb = image.Scored.Prepare(RgbImageReader.Read(image.Record.Path));
                var maps = new[] { image.Scored, image.GradCam }
                    .OfType<ScoredImage>()
                    .Select(s => s.PatchMap().Normalized(MapNormalization.MinMax))
                    .ToList();
                var panel = HeatmapRenderer.ComparisonPanel(rgb, maps, Colormap.Jet);
                var small = ImageResizer.Resize(panel, Math.Max(1, panel.Width / 2), Math.Max(1, panel.Height / 2));
                string predicted = model.ClassNames[image.Scored.PredictedIndex];
                bool wrong = predicted != image.Record.Label;
                html.Append(
                    CultureInfo.InvariantCulture,
                    $"<figure><img alt=\"{Enc(Path.GetFileName(image.Record.Path))}\" "
                        + $"src=\"data:image/jpeg;base64,{Convert.ToBase64String(RgbImageWriter.EncodeJpeg(small))}\">"
                        + $"<figcaption>{Enc(Path.GetFileName(image.Record.Path))} — true "
                        + $"{Enc(image.Record.Label)}, predicted "
                        + $"<span class=\"{(wrong ? "wrong" : "")}\">{Enc(predicted)}</span> (p(true) = "
                        + $"{image.TrueProbability:F3})</figcaption></figure>"
                );
            }
            html.Append("</div>");
        }
    }

    /// <summary>The run's test images with their patients and masks (masks/ mirroring the image paths under the root).
    /// </summary>
    private static List<ImageRecord> ReadTestSplit(string runDir)
    {
        var (root, test) = RunFiles.ReadTestSplit(runDir);
        return test.Select(t =>
            {
                var mask = DatasetReader.MaskPathFor(root, t.Path);
                return new ImageRecord(t.Path, t.Label, t.Patient, MaskPath: File.Exists(mask) ? mask : null);
            })
            .ToList();
    }
}
