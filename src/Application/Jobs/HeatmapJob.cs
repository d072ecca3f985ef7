using System.Globalization;
using System.Text.Json.Serialization;
using Amil.MLNet.Maps.Heatmaps;
using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Application.Jobs;

/// <summary>The `heatmap` job: per image a labelled panel (analysed region | the model's map | Grad-CAM, each captioned
/// with model, map, class and p, and a colour scale), the raw maps as PNGs, and the maps as QuPath-compatible GeoJSON
/// tiles.</summary>
public static class HeatmapJob
{
    /// <summary>What a panel colours.</summary>
    public enum Shows
    {
        /// <summary>The evidence for the tumour classes on one scale shared by every image drawn
        /// (<see cref="TumourEvidence"/>): a tumour-free call stays cool. The default.</summary>
        Evidence,

        /// <summary>The model's own map, normalised per image as <see cref="Settings.Normalization"/> says.</summary>
        Map,
    }

    /// <param name="Normalization">How the model's own map is normalised: the raw map PNGs, and the panels with
    /// <see cref="Shows.Map"/>.</param>
    /// <param name="TumourClasses">The classes the evidence is for; default from the class names
    /// (<see cref="Application.TumourClasses"/>).</param>
    public sealed record Settings(
        MapNormalization Normalization = MapNormalization.MinMax,
        string Colormap = "jet",
        float Alpha = 0.45f,
        Shows Show = Shows.Evidence,
        IReadOnlyList<string>? TumourClasses = null
    );

    /// <summary>One image's files, relative to the output folder (heatmaps.json).</summary>
    public sealed record Entry(
        [property: JsonPropertyName("image")] string Image,
        [property: JsonPropertyName("predicted")] string Predicted,
        [property: JsonPropertyName("probability")] float Probability,
        [property: JsonPropertyName("panel")] string Panel,
        [property: JsonPropertyName("maps")] IReadOnlyDictionary<string, string> Maps,
        [property: JsonPropertyName("gradcam_predicted")] string? GradCamPredicted
    );

    /// <summary>What was drawn: a panel per image (image models) or a heatmap and GeoJSON per slide (slide
    /// models); nothing yet when this process scored a shard and another shard is still scoring.</summary>
    public sealed record Result(IReadOnlyList<Entry> Panels, IReadOnlyList<ScoredImage> Slides)
    {
        /// <summary>A shard's scores are stored and others are missing: the last shard draws.</summary>
        public bool Waiting { get; init; }
    }

    /// <summary>Draws the maps of the images (or, with a slide model, the slides) in <paramref name="input"/>.
    /// </summary>
    /// <param name="scoring">The device, and for slide models the tile feature cache.</param>
    public static Result Run(
        string modelPath,
        string? gradCamModelPath,
        string input,
        string outDirectory,
        Settings settings,
        Action<string> log,
        ScoringOptions? scoring = null,
        CancellationToken cancel = default
    )
    {
        var colormap = Colormap.Parse(settings.Colormap); // refused before any scoring
        scoring ??= ScoringOptions.Default;
        var model = scoring.Load(modelPath);
        if (model.Input == ModelInput.Slides)
        {
            if (gradCamModelPath is not null)
                throw new ArgumentException(
                    $"{modelPath} is a slide-level model; a Grad-CAM model is compared on images only."
                );
            var slides = SlideScoring.Heatmap(
                model,
                modelPath,
                input,
                outDirectory,
                settings.TumourClasses,
                scoring,
                log,
                cancel
            );
            return slides is null ? new Result([], []) { Waiting = true } : new Result([], slides);
        }
        var gradCam = gradCamModelPath is null ? null : GradCamModel(gradCamModelPath, scoring);
        var images = PredictJob.ListImages(input);
        log(
            $"Rendering {images.Count} image(s) with "
                + $"{modelPath}{(gradCam is null ? "" : " and " + gradCamModelPath)} into {outDirectory}."
        );
        OutputFolder.Create(outDirectory);
        var tumour = TumourClasses.Of(model.ClassNames, settings.TumourClasses); // refused before any scoring
        var all = Score(scoring, outDirectory, "heatmap", modelPath, model, images, log, cancel);
        var gradCamAll = gradCam is null
            ? null
            : Score(scoring, outDirectory, "heatmap-gradcam", gradCamModelPath!, gradCam, images, log, cancel);
        if (all is null || (gradCam is not null && gradCamAll is null))
            return new Result([], []) { Waiting = true };
        return DrawImages(
            (modelPath, model, all),
            gradCam is null ? null : (gradCamModelPath!, gradCam, gradCamAll!),
            input,
            outDirectory,
            settings,
            colormap,
            tumour
        );
    }

    private static AmilModel GradCamModel(string path, ScoringOptions scoring)
    {
        var gradCam = scoring.Load(path, ModelInput.Images);
        return gradCam.MapKind == MapKind.GradCam
            ? gradCam
            : throw new ArgumentException(
                $"{path}: not a CNN baseline model (its map is {gradCam.MapKind}); pass a model from "
                    + "train --baseline cnn."
            );
    }

    /// <summary>Each scored image's panel and maps, and heatmaps.json listing them.</summary>
    private static Result DrawImages(
        (string Path, AmilModel Model, IReadOnlyList<ScoredImage> Scored) main,
        (string Path, AmilModel Model, IReadOnlyList<ScoredImage> Scored)? gradCam,
        string input,
        string outDirectory,
        Settings settings,
        Colormap colormap,
        IReadOnlyList<string> tumour
    )
    {
        string inputRoot = File.Exists(input)
            ? Path.GetDirectoryName(Path.GetFullPath(input))!
            : Path.GetFullPath(input);
        var drawing = new Drawing(
            (main.Path, main.Model, Evidence(main.Model, main.Scored, tumour, settings)),
            gradCam is { } g ? (g.Path, g.Model, Evidence(g.Model, g.Scored, tumour, settings)) : null,
            outDirectory,
            inputRoot,
            settings,
            colormap
        );
        var entries = main.Scored.Select((scored, i) => Draw(drawing, scored, gradCam?.Scored[i])).ToList();
        var evidence = drawing.Model.Evidence;
        RunFiles.WriteJson(
            Path.Combine(outDirectory, "heatmaps.json"),
            new
            {
                model = main.Path,
                gradcam_model = gradCam?.Path,
                shows = settings.Show == Shows.Evidence ? "evidence" : "map",
                tumour_classes = tumour,
                evidence = evidence is null ? null : TumourEvidence.Describe(main.Model.MapKind, tumour),
                evidence_scale_top = evidence?.Top,
                normalization = settings.Normalization.ToString().ToLowerInvariant(),
                colormap = colormap.Name,
                settings.Alpha,
                images = entries,
            }
        );
        return new Result(entries, []);
    }

    private static IReadOnlyList<ScoredImage>? Score(
        ScoringOptions scoring,
        string outDirectory,
        string name,
        string modelPath,
        AmilModel model,
        IReadOnlyList<string> images,
        Action<string> log,
        CancellationToken cancel
    ) =>
        ShardedScores.Score(
            scoring,
            outDirectory,
            name,
            modelPath,
            images,
            p => p,
            part => model.Score(part).Checked(cancel).ToList(),
            log
        );

    /// <summary>What every image's drawing shares: the model (and the Grad-CAM model) with its evidence scale, where
    /// the files go and how they look.</summary>
    private sealed record Drawing(
        (string Path, AmilModel Model, SharedEvidence? Evidence) Model,
        (string Path, AmilModel Model, SharedEvidence? Evidence)? GradCam,
        string OutDirectory,
        string InputRoot,
        Settings Settings,
        Colormap Colormap
    );

    /// <summary>One image's files: its map (grey and weighted), the Grad-CAM map, QuPath GeoJSON and the
    /// panel.</summary>
    private static Entry Draw(Drawing d, ScoredImage scored, ScoredImage? other)
    {
        var (modelPath, model, evidence) = d.Model;
        var original = RgbImageReader.Read(scored.Path);
        var image = scored.Prepare(original);
        var measurements = Measurements(model, scored);
        string stem = Path.ChangeExtension(Path.GetRelativePath(d.InputRoot, scored.Path), null)
            .Replace(Path.DirectorySeparatorChar, '_');
        var map = scored.PatchMap().Normalized(d.Settings.Normalization);
        var shown = new List<PatchMap> { evidence?.Shown(scored) ?? map };
        string kind = model.MapKind.Name();
        var maps = new Dictionary<string, string>
        {
            [kind] = Write(d.OutDirectory, $"{stem}.{kind}.png", HeatmapRenderer.Grey(map)),
            [kind + "_weighted"] = Write(
                d.OutDirectory,
                $"{stem}.{kind}-weighted.png",
                HeatmapRenderer.Weighted(image, map.Normalized(MapNormalization.Max))
            ),
        };
        var captions = new List<IReadOnlyList<string>> { Caption(modelPath, model, scored, evidence) };
        string? gradCamPredicted = null;
        if (other is not null && d.GradCam is var (gradCamPath, gradCam, gradCamEvidence))
        {
            var otherMap = other.PatchMap().Normalized(d.Settings.Normalization);
            shown.Add(gradCamEvidence?.Shown(other) ?? otherMap);
            string gradCamKind = MapKind.GradCam.Name();
            maps[gradCamKind] = Write(d.OutDirectory, $"{stem}.{gradCamKind}.png", HeatmapRenderer.Grey(otherMap));
            if (other.Coordinates.SequenceEqual(scored.Coordinates))
                measurements.Add((gradCamKind, other.Map));
            gradCamPredicted = gradCam.ClassNames[other.PredictedIndex];
            captions.Add(Caption(gradCamPath, gradCam, other, gradCamEvidence));
        }
        maps["geojson"] = $"{stem}.geojson";
        Transforms.AtomicFile.WriteText(
            Path.Combine(d.OutDirectory, maps["geojson"]),
            QuPathTiles.ToJson(
                QuPathTiles.Build(
                    scored.Coordinates,
                    scored.PatchSize,
                    measurements,
                    scored.Frame,
                    original.Width,
                    original.Height
                )
            )
        );
        var panel = Write(
            d.OutDirectory,
            $"{stem}.panel.png",
            HeatmapPanel.Render(
                image,
                ["image", Path.GetFileName(scored.Path)],
                shown.Zip(captions, (m, c) => new PanelMap(m, c)).ToList(),
                d.Colormap,
                evidence is null
                    ? ["map", ScaleName(d.Settings.Normalization)]
                    : ["evidence", FormattableString.Invariant($"0-{evidence.Top:G3}, all images")],
                d.Settings.Alpha
            )
        );
        return new Entry(
            scored.Path,
            model.ClassNames[scored.PredictedIndex],
            scored.Probabilities[scored.PredictedIndex],
            panel,
            maps,
            gradCamPredicted
        );
    }

    /// <summary>The map values a tile carries: the model's map as output, and every class's map for class-aware
    /// models.</summary>
    private static List<(string Name, float[] Values)> Measurements(AmilModel model, ScoredImage scored)
    {
        var list = new List<(string, float[])> { (model.MapKind.Name(), scored.Map) };
        if (scored.ClassMaps is not null)
            for (int c = 0; c < model.ClassNames.Count; c++)
                list.Add(($"{model.MapKind.Name()}: {model.ClassNames[c]}", scored.MapOf(c)));
        return list;
    }

    /// <summary>The evidence panels show, with its scale shared by every image drawn.</summary>
    private sealed record SharedEvidence(IReadOnlyList<string> Classes, IReadOnlyList<string> Tumour, float Top)
    {
        public PatchMap Shown(ScoredImage s) =>
            new(TumourEvidence.OnScale(TumourEvidence.Values(s, Classes, Tumour), Top), s.Layout);
    }

    private static SharedEvidence? Evidence(
        AmilModel model,
        IReadOnlyList<ScoredImage> scored,
        IReadOnlyList<string> tumour,
        Settings settings
    )
    {
        if (settings.Show != Shows.Evidence)
            return null;
        var classes = model.ClassNames;
        var modelTumour = tumour.Where(classes.Contains).ToList();
        if (modelTumour.Count == 0)
            modelTumour = [.. TumourClasses.Of(classes)];
        float top = TumourEvidence.SharedTop(scored.Select(s => TumourEvidence.Values(s, classes, modelTumour)));
        return new SharedEvidence(classes, modelTumour, top);
    }

    /// <summary>What a map shows, in three lines: which model, which map of which class, and the prediction.</summary>
    private static IReadOnlyList<string> Caption(
        string modelPath,
        AmilModel model,
        ScoredImage scored,
        SharedEvidence? evidence
    ) =>
        evidence is null
            ? Caption(modelPath, model, scored)
            :
            [
                LabelledModel.Parse(modelPath).Label,
                "evidence: " + TumourEvidence.Describe(model.MapKind, evidence.Tumour),
                Caption(modelPath, model, scored)[2],
            ];

    /// <summary>What a map shows, in three lines: which model, which map of which class, and the prediction.</summary>
    public static IReadOnlyList<string> Caption(string modelPath, AmilModel model, ScoredImage scored)
    {
        string predicted = model.ClassNames[scored.PredictedIndex];
        string map = model.MapKind switch
        {
            MapKind.Contribution => $"contribution to {predicted}",
            MapKind.InstanceScore => $"instance score for {predicted}",
            MapKind.ClassAttention => $"attention branch of {predicted}",
            MapKind.GradCam => $"Grad-CAM for {predicted}",
            _ => "attention (class-agnostic)",
        };
        var p = scored.Probabilities[scored.PredictedIndex].ToString("F2", CultureInfo.InvariantCulture);
        return [LabelledModel.Parse(modelPath).Label, map, $"predicted {predicted} p={p}"];
    }

    private static string ScaleName(MapNormalization normalization) =>
        normalization switch
        {
            MapNormalization.None => "as output",
            MapNormalization.MinMax => "min-max",
            _ => normalization.ToString().ToLowerInvariant(),
        };

    private static string Write(string folder, string name, RgbImage image)
    {
        RgbImageWriter.WritePng(Path.Combine(folder, name), image);
        return name;
    }
}
