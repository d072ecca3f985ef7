using System.Text.Json;
using Amil.MLNet.Application;
using Amil.MLNet.Application.Features;
using Amil.MLNet.Application.Jobs;
using Amil.MLNet.Application.Runs;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Viewer;

/// <summary>What `amil view` was asked to show.</summary>
/// <param name="Path">A run folder, a predict output folder, or (with <paramref name="Model"/>) an image, a slide or a
/// folder of them; null with a dataset.</param>
/// <param name="Model">A model.zip to score with (not for run and predict folders, which name theirs).</param>
/// <param name="Dataset">A dataset whose test split is scored with <paramref name="Model"/>.</param>
/// <param name="FeatureCache">Slides: the tile feature cache (default .cache/features).</param>
/// <param name="TumourClasses">The classes the default map shows evidence for (default: from the class
/// names).</param>
/// <param name="GradCamModel">Images: a CNN baseline model.zip whose Grad-CAM becomes two more layers.</param>
public sealed record ViewRequest(
    string? Path,
    string? Model = null,
    DatasetSelection? Dataset = null,
    string? FeatureCache = null,
    IReadOnlyList<string>? TumourClasses = null,
    string? GradCamModel = null
)
{
    /// <summary>Where the models score. Default: the CPU.</summary>
    public ComputeDevice Device { get; init; }
}

/// <summary>Turns a <see cref="ViewRequest"/> into the scored items the viewer serves. Every file an item shows must
/// lie, with symbolic links resolved, under a folder the request named (the path, the run's dataset root, the
/// dataset's root); any other is left out with a warning, so the server never reads a file it was not given.</summary>
internal static class ViewSources
{
    public static ViewSet Load(ViewRequest request, Action<string> log)
    {
        if (request.Path is { } path && Directory.Exists(path) && request.Model is null)
        {
            if (File.Exists(System.IO.Path.Combine(path, RunFiles.ModelFile)))
                return FromRun(path, request, log);
            if (File.Exists(System.IO.Path.Combine(path, "predictions.json")))
                return FromPredictions(path, request, log);
            throw new ArgumentException(
                $"{path}: neither a run folder (model.zip) nor a predict output (predictions.json); to view images "
                    + "or slides in it, give a model to score them with."
            );
        }
        if (request.Model is null)
            throw new ArgumentException(
                request.Path is { } p && !Directory.Exists(p) && !File.Exists(p)
                    ? $"{p}: no such file or folder."
                    : "A model is needed to score a dataset, an image or a slide; give a model.zip."
            );
        var model = AmilModel.Load(request.Model).OnDevice(request.Device);
        if (request.Dataset is { } selection)
        {
            var (entry, root) = selection.Resolve();
            var records = DatasetReader.ReadItems(entry, root, log);
            var test = DatasetSplit.For(records, entry).Test;
            return Scored($"{entry.Name} (test split) — {request.Model}", model, test, [root], request, log, null);
        }
        string input = request.Path ?? throw new ArgumentException("Give a run folder, a file, a folder or a dataset.");
        var files = model.Input == ModelInput.Slides ? SlideScoring.SlideFiles(input) : PredictJob.ListImages(input);
        string folder = File.Exists(input)
            ? System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(input))!
            : input;
        return Scored(
            $"{input} — {request.Model}",
            model,
            files.Select(f => new ImageRecord(f, "")).ToList(),
            [folder],
            request,
            log,
            null,
            labelled: false
        );
    }

    private static ViewSet FromRun(string runDir, ViewRequest request, Action<string> log)
    {
        var settings = RunConfig.Settings(runDir);
        var (entry, root) = settings.Dataset.Resolve();
        var testPaths = RunFiles.ReadTestSplit(runDir).Test.Select(t => t.Path).ToHashSet(StringComparer.Ordinal);
        var test = DatasetReader
            .ReadItems(entry, root, log)
            .Where(r => testPaths.Contains(System.IO.Path.GetFullPath(r.Path)))
            .ToList();
        if (test.Count == 0)
            throw new DatasetException(
                $"{runDir}: none of the run's test files are in dataset '{entry.Name}' at {root} any more."
            );
        var model = AmilModel.Load(System.IO.Path.Combine(runDir, RunFiles.ModelFile)).OnDevice(request.Device);
        string report = System.IO.Path.Combine(runDir, RunReport.FileName);
        return Scored(
            $"{System.IO.Path.GetFileName(System.IO.Path.GetFullPath(runDir))} — test split of {entry.Name}",
            model,
            test,
            [runDir, root],
            request with
            {
                FeatureCache = request.FeatureCache ?? settings.FeatureCacheFolder,
            },
            log,
            File.Exists(report) ? report : null
        );
    }

    private static ViewSet Scored(
        string title,
        AmilModel model,
        IReadOnlyList<ImageRecord> records,
        IReadOnlyList<string> roots,
        ViewRequest request,
        Action<string> log,
        string? report,
        bool labelled = true
    )
    {
        var allowed = records.Where(r => Allowed(r.Path, roots, log)).ToList();
        if (allowed.Count == 0)
            throw new ArgumentException("Nothing to show: no image or slide under the folders given.");
        log($"Scoring {allowed.Count} {model.Input.Noun()}(s) with the model…");
        if (model.Input == ModelInput.Slides)
            SlideBags.Watch(log);
        var scored = model.WithFeatureCache(request.FeatureCache).Score(allowed.Select(r => r.Path)).ToList();
        var gradCam = GradCam(request, model, allowed);
        var items = new List<ViewItem>();
        for (int i = 0; i < allowed.Count; i++)
        {
            var r = allowed[i];
            var (w, h, original) = Size(model.Input, scored[i]);
            items.Add(
                new ViewItem(
                    i,
                    Name(r.Path),
                    System.IO.Path.GetFullPath(r.Path),
                    model.Input,
                    scored[i],
                    w,
                    h,
                    labelled && r.Label.Length > 0 ? r.Label : null,
                    r.MaskPath is { } m && Allowed(m, roots, log) ? m : null
                )
                {
                    GradCam = gradCam?[i],
                    Original = original,
                }
            );
        }
        return new ViewSet(
            title,
            items,
            model.ClassNames,
            model.MapKind,
            TumourClasses.Of(model.ClassNames, request.TumourClasses),
            report
        );
    }

    private static List<ScoredImage>? GradCam(ViewRequest request, AmilModel model, IReadOnlyList<ImageRecord> records)
    {
        if (request.GradCamModel is not { } path)
            return null;
        var cnn = ModelFiles.Load(path, ModelInput.Images).OnDevice(request.Device);
        if (model.Input != ModelInput.Images || cnn.MapKind != MapKind.GradCam)
            throw new ArgumentException(
                $"{path}: a Grad-CAM comparison needs a CNN baseline (train --baseline cnn) beside an image model."
            );
        if (!cnn.ClassNames.SequenceEqual(model.ClassNames))
            throw new ArgumentException($"{path}: the CNN baseline's classes differ from the model's.");
        return cnn.Score(records.Select(r => r.Path)).ToList();
    }

    private static ViewSet FromPredictions(string folder, ViewRequest request, Action<string> log)
    {
        string file = System.IO.Path.Combine(folder, "predictions.json");
        var predictions =
            JsonSerializer.Deserialize<List<PredictJob.Prediction>>(File.ReadAllText(file))
            ?? throw new InvalidDataException($"{file}: empty.");
        if (predictions.Count == 0)
            throw new InvalidDataException($"{file}: no predictions.");
        var classes = predictions[0].Probabilities.Keys.ToList();
        var kind = KindOfMap(predictions[0].Map);
        var roots = predictions
            .Select(p => System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(p.Path))!)
            .Distinct()
            .ToList();
        var items = new List<ViewItem>();
        foreach (var p in predictions)
        {
            if (!File.Exists(p.Path) || !Allowed(p.Path, [folder, .. roots], log))
            {
                log($"warning: {p.Path} is missing; left out.");
                continue;
            }
            var slide =
                SlideImage.Extensions.Contains(System.IO.Path.GetExtension(p.Path).ToLowerInvariant())
                && !DatasetReader.HasImageExtension(p.Path);
            int side = p.Patches.Count > 0 ? p.Patches[0].Width : 1;
            var layout = new BagLayout(3, side, side, 1, p.Patches.Count, 0, 0, side * p.Patches.Count, side);
            float[]? classMaps =
                p.Patches.Count > 0 && p.Patches[0].Classes is not null
                    ? classes.SelectMany(c => p.Patches.Select(x => x.Classes![c])).ToArray()
                    : null;
            var scored = new ScoredImage(
                p.Path,
                classes.IndexOf(p.Predicted),
                classes.Select(c => p.Probabilities[c]).ToArray(),
                p.Patches.Select(x => x.Value).ToArray(),
                p.Patches.SelectMany(x => new[] { x.X, x.Y }).ToArray(),
                layout,
                kind
            )
            {
                ClassMaps = classMaps,
                Frame = p.Frame is { Length: ImageFrame.EncodedLength } f ? ImageFrame.Decode(f) : null,
            };
            var input = slide ? ModelInput.Slides : ModelInput.Images;
            var (w, h, original) = Size(input, scored);
            items.Add(
                new ViewItem(items.Count, Name(p.Path), p.Path, input, scored, w, h, null, null) { Original = original }
            );
        }
        if (items.Count == 0)
            throw new InvalidDataException($"{file}: none of its files are there any more.");
        return new ViewSet(
            $"{folder} (predictions)",
            items,
            classes,
            kind,
            TumourClasses.Of(classes, request.TumourClasses),
            null
        );
    }

    /// <summary>The map kind predictions.json names ("attention", "contribution of …", "class-attention × p(…)").
    /// </summary>
    private static MapKind KindOfMap(string name) =>
        Enum.GetValues<MapKind>()
            .OrderByDescending(k => k.Name().Length)
            .First(k => name.StartsWith(k.Name(), StringComparison.Ordinal));

    /// <summary>The item's size in its map's pixels (level 0 for slides, the prepared image for images), and the
    /// original file's size, where a GeoJSON's tiles must land.</summary>
    private static (int Width, int Height, (int Width, int Height) Original) Size(ModelInput input, ScoredImage scored)
    {
        if (input == ModelInput.Slides)
        {
            using var slide = SlideImage.Open(scored.Path);
            return (slide.Width, slide.Height, (slide.Width, slide.Height));
        }
        var original = RgbImageReader.Read(scored.Path);
        var image = scored.Prepare(original);
        return (image.Width, image.Height, (original.Width, original.Height));
    }

    private static string Name(string path) => System.IO.Path.GetFileName(path);

    /// <summary>Whether a file, with links resolved, lies under one of the roots (also resolved).</summary>
    internal static bool Allowed(string file, IEnumerable<string> roots, Action<string> log)
    {
        string real = Resolve(file);
        foreach (var root in roots)
        {
            string r =
                Resolve(root).TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar;
            if (real.StartsWith(r, StringComparison.Ordinal))
                return true;
        }
        log($"warning: {file} lies outside the folders given (links followed: {real}); it is not served.");
        return false;
    }

    /// <summary>The path with every symbolic link on it resolved.</summary>
    internal static string Resolve(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var parts = full.Split(System.IO.Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        string current = System.IO.Path.GetPathRoot(full) ?? "/";
        foreach (var part in parts)
        {
            current = System.IO.Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target)
                current = target.FullName;
        }
        return current;
    }
}
