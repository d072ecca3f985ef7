using Amil.MLNet.Application.Jobs;
using Amil.MLNet.Application.Runs;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Maps.Heatmaps;
using Amil.MLNet.Maps.Metrics;
using Amil.MLNet.Trainers;

namespace Amil.MLNet.Application.Study;

/// <summary>What the study runs.</summary>
public sealed record StudySettings
{
    /// <summary>Dataset names in the datasets file. Default: the three built-in synthetic sets.</summary>
    public IReadOnlyList<string> Datasets { get; init; } = ["synthetic", "synthetic-hard", "synthetic-bach"];

    /// <summary>datasets.json to read them from; null: the usual lookup.</summary>
    public string? DatasetsFile { get; init; }

    /// <summary>The heads to train (<see cref="Heads"/>). Default: every head; on slides, those that train on
    /// them.</summary>
    public IReadOnlyList<Head> Methods { get; init; } = Heads.All;
    public IReadOnlyList<int> Seeds { get; init; } = [1, 2, 3];

    /// <summary>Folds instead of seeds: every method trained on each of K patient-grouped folds (split files written
    /// once to OUT/&lt;dataset&gt;/splits/, as train --folds writes them, and read back) with the first seed, and
    /// compared on each fold's test part. Null (default): the seeds on the dataset's own split.</summary>
    public int? Folds { get; init; }

    /// <summary>Epochs per training. Default 15, as `train`.</summary>
    public int Epochs { get; init; } = 15;
    public string OutDirectory { get; init; } = Path.Combine("runs", "study");

    /// <summary>False: train nothing, summarise the runs that are finished (each cell says over how many seeds).
    /// Default true.</summary>
    public bool TrainMissing { get; init; } = true;

    /// <summary>Where training and scoring run: cpu (default), cuda, cuda:N or auto.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Whole slides: the tile feature cache; null: the default (.cache/features).</summary>
    public string? FeatureCacheFolder { get; init; }
}

/// <summary>
/// The `study` job: every method × seed (or × fold) on every dataset, each trained into its own run folder
/// (OUT/&lt;dataset&gt;/&lt;method&gt;-seed&lt;k&gt;, or -fold&lt;k&gt; on that fold's split file), compared by
/// `localize` per dataset and seed or fold (maps as output, the tumour classes' maps for class-aware models, and
/// maps × p(tumour)), then summarised as mean ± sd over the seeds or folds in
/// OUT/study.json and OUT/study.md. Finished runs are reused and an interrupted training resumes from its checkpoint,
/// so rerunning the same command continues the study; a comparison is reused while its models are the same.
/// </summary>
public static class StudyJob
{
    public const string JsonFile = "study.json",
        MarkdownFile = "study.md";

    public static StudySummary Run(StudySettings settings, Action<string> log, CancellationToken cancel = default)
    {
        if (settings.Seeds.Count == 0 || settings.Methods.Count == 0 || settings.Datasets.Count == 0)
            throw new ArgumentException("The study needs at least one dataset, one method and one seed.");
        if (settings.Epochs < 1)
            throw new ArgumentException($"Epochs must be at least 1 (got {settings.Epochs}).");
        if (settings.Folds is < 2)
            throw new ArgumentException($"A study over folds needs at least 2 folds (got {settings.Folds}).");
        var results = new List<StudySummary.DatasetResult>();
        var plans = settings
            .Datasets.Select(d => new DatasetSelection(d, settings.DatasetsFile))
            .Select(selection => (selection, Slides: DatasetReader.IsSlides(selection.Resolve().Entry)))
            .Select(p => (p.selection, p.Slides, Methods: MethodsFor(p.Slides, settings.Methods)))
            .ToList();
        var replicates = settings.Folds is { } k ? Enumerable.Range(1, k).ToList() : settings.Seeds;
        string by = settings.Folds is null ? "seed" : "fold";
        int total = plans.Sum(p => p.Methods.Count) * replicates.Count,
            done = 0;
        foreach (var (selection, slides, methods) in plans)
        {
            string dataset = selection.Name!;
            if (methods.Count < settings.Methods.Count)
                log($"{dataset}: whole slides train MIL heads on tile features; the CNN baseline is left out.");
            var tumourClasses = slides ? null : TumourClasses(selection, log);
            var comparisons = new List<LocalizeJob.Report>();
            var slideComparisons = new List<SlideLocalization.Report>();
            var seedsCompared = new List<int>();
            var splitFiles = settings.Folds is { } folds ? FoldFiles(selection, settings, folds, log) : null;
            foreach (int replicate in replicates)
            {
                int seed = splitFiles is null ? replicate : settings.Seeds[0];
                string? splitFile = splitFiles?[replicate - 1];
                var models = new List<string>();
                string? cnn = null;
                foreach (var method in methods)
                {
                    cancel.ThrowIfCancellationRequested();
                    done++;
                    var runDir = Path.Combine(settings.OutDirectory, dataset, $"{method.Name}-{by}{replicate}");
                    log($"[{done}/{total}] {dataset}, {method.Name}, {by} {replicate}: {runDir}");
                    if (!settings.TrainMissing && !File.Exists(Path.Combine(runDir, RunFiles.ModelFile)))
                    {
                        log("  not trained yet; left out.");
                        continue;
                    }
                    Train(selection, method, slides, seed, splitFile, settings, runDir, log, cancel);
                    var model = $"{method.Name}={Path.Combine(runDir, RunFiles.ModelFile)}";
                    if (!method.Pools)
                        cnn = model;
                    else
                        models.Add(model);
                }
                if (models.Count == 0 && cnn is null)
                    continue;
                var where = new Replicate($"{by}{replicate}", splitFile);
                if (slides)
                    slideComparisons.Add(CompareSlides(selection, settings, where, models, log));
                else
                    comparisons.Add(Compare(selection, settings, dataset, where, models, cnn, tumourClasses!, log));
                seedsCompared.Add(replicate);
            }
            if (comparisons.Count > 0)
                results.Add(StudySummary.Of(dataset, tumourClasses!, seedsCompared, comparisons) with { By = by });
            if (slideComparisons.Count > 0)
                results.Add(StudySummary.OfSlides(dataset, seedsCompared, slideComparisons) with { By = by });
            // Written after every dataset, so a long study shows its finished part.
            Write(new StudySummary(settings.Epochs, results), settings.OutDirectory);
        }
        return new StudySummary(settings.Epochs, results);
    }

    /// <summary>One replicate of the study: its name in folder names (seed2, fold3) and, for a fold, its split
    /// file.</summary>
    private sealed record Replicate(string Name, string? SplitFile);

    /// <summary>The dataset's fold split files under OUT/&lt;dataset&gt;/splits/, written once and read back.</summary>
    private static List<string> FoldFiles(
        DatasetSelection selection,
        StudySettings settings,
        int folds,
        Action<string> log
    )
    {
        var (entry, root) = selection.Resolve();
        return CrossValidationJob.SplitFiles(
            Path.GetFullPath(Path.Combine(settings.OutDirectory, selection.Name!)),
            entry,
            root,
            new CrossValidationJob.Plan(folds),
            log
        );
    }

    /// <summary>The methods a dataset trains: on whole slides every head that trains on them (not the image
    /// CNN).</summary>
    private static IReadOnlyList<Head> MethodsFor(bool slides, IReadOnlyList<Head> methods) =>
        slides ? methods.Where(m => m.TrainsOnSlides).ToList() : methods;

    private static void Write(StudySummary summary, string outDirectory)
    {
        OutputFolder.Create(outDirectory);
        RunFiles.WriteJson(Path.Combine(outDirectory, JsonFile), summary);
        Transforms.AtomicFile.WriteText(Path.Combine(outDirectory, MarkdownFile), summary.Markdown());
    }

    /// <summary>The classes whose images carry tumour in their masks (e.g. malignant; InSitu and Invasive).</summary>
    internal static IReadOnlyList<string> TumourClasses(DatasetSelection selection, Action<string> log)
    {
        var (entry, root) = selection.Resolve();
        var images = Localizing.WithMasks(DatasetReader.Read(entry, root, log), entry.Name);
        var classes = images
            .GroupBy(r => r.Label)
            .Where(g => g.Any(r => TumourMask.Read(r.MaskPath!).HasTumour))
            .Select(g => g.Key)
            .Order(StringComparer.Ordinal)
            .ToList();
        return classes.Count > 0
            ? classes
            : throw new DatasetException($"Dataset '{entry.Name}': no mask marks any tumour; nothing to localize.");
    }

    private static void Train(
        DatasetSelection selection,
        Head method,
        bool slides,
        int seed,
        string? splitFile,
        StudySettings study,
        string runDir,
        Action<string> log,
        CancellationToken cancel
    )
    {
        if (File.Exists(Path.Combine(runDir, RunFiles.ModelFile)))
        {
            log("  finished earlier; reused.");
            return;
        }
        var settings = File.Exists(Path.Combine(runDir, RunFiles.CheckpointFile))
            ? new TrainSettings { Resume = runDir }
            : TrainSettings.For(
                method,
                new TrainSettings
                {
                    Dataset = selection,
                    Seed = seed,
                    Epochs = study.Epochs,
                    OutDirectory = runDir,
                    Device = study.Device,
                    SplitFile = splitFile,
                }
            );
        if (slides && settings.Resume is null)
            // Slides: frozen ResNet18 tile features (the only slide encoder); CLAM's k from each slide's tile count,
            // as a fixed k fits neither a 300-tile nor a 3,000-tile slide.
            settings = settings with
            {
                Network = Trainers.Networks.NetworkArchitecture.FeatureAttentionMil,
                ClamInstanceSamples = 0,
                FeatureCacheFolder = study.FeatureCacheFolder,
            };
        TrainJob.Run(settings, line => log("  " + line), cancel);
    }

    /// <summary>A comparison written by an earlier run of the study; null when there is none or it cannot be
    /// read (then it is made again).</summary>
    private static T? Earlier<T>(string path)
        where T : class
    {
        if (!File.Exists(path))
            return null;
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<T>(File.ReadAllText(path));
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>The slide models of one seed compared on the test slides (<see cref="SlideScoring.Localize"/>):
    /// each map and map × p(tumour), FROC with sensitivity per lesion size; reused while it is newer than every
    /// model and names the same ones.</summary>
    private static SlideLocalization.Report CompareSlides(
        DatasetSelection selection,
        StudySettings settings,
        Replicate replicate,
        IReadOnlyList<string> models,
        Action<string> log
    )
    {
        var outDir = Path.Combine(settings.OutDirectory, selection.Name!, $"localize-{replicate.Name}");
        string json = Path.Combine(outDir, RunFiles.LocalizationFile);
        var labelled = models.Select(LabelledModel.Parse).ToList();
        if (
            Earlier<SlideLocalization.Report>(json) is { } earlier
            && earlier.Methods.Select(m => m.Model).ToHashSet().SetEquals(labelled.Select(m => m.Label))
            && labelled.All(m => File.GetLastWriteTimeUtc(m.Path) < File.GetLastWriteTimeUtc(json))
        )
        {
            log("  comparison finished earlier; reused.");
            return earlier;
        }
        var (entry, root) = selection.Resolve();
        // Writes localization.json (the file reused above) and localization.md.
        return SlideScoring.Localize(
            models,
            entry,
            root,
            outDir,
            allSlides: false,
            new ScoringOptions(ComputeDevice.Parse(settings.Device), settings.FeatureCacheFolder),
            line => log("  " + line),
            splitFile: replicate.SplitFile
        )!; // not sharded: never waits
    }

    private static LocalizeJob.Report Compare(
        DatasetSelection selection,
        StudySettings settings,
        string dataset,
        Replicate replicate,
        IReadOnlyList<string> models,
        string? cnn,
        IReadOnlyList<string> tumourClasses,
        Action<string> log
    )
    {
        var outDir = Path.Combine(settings.OutDirectory, dataset, $"localize-{replicate.Name}");
        var earlier = Earlier<LocalizeJob.Report>(Path.Combine(outDir, RunFiles.LocalizationFile));
        var expected = models.Append(cnn).OfType<string>().Select(m => LabelledModel.Parse(m).Path).ToHashSet();
        if (earlier is not null && earlier.Methods.Select(m => m.Model).ToHashSet().SetEquals(expected))
        {
            log("  comparison finished earlier; reused.");
            return earlier;
        }
        return LocalizeJob.Run(
            models,
            cnn,
            selection,
            outDir,
            MapNormalization.None,
            allImages: false,
            line => log("  " + line),
            tumourClasses,
            models.Any(m => Heads.All.Any(h => h.Name == LabelledModel.Parse(m).Label && h.HasClassMaps))
                ? tumourClasses
                : null,
            new ScoringOptions(ComputeDevice.Parse(settings.Device)),
            replicate.SplitFile
        )!; // not sharded: never waits
    }
}
