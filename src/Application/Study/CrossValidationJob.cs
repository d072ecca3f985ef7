using Amil.MLNet.Application.Jobs;
using Amil.MLNet.Application.Runs;
using Amil.MLNet.Data.Datasets;

namespace Amil.MLNet.Application.Study;

/// <summary>
/// k-fold cross-validation (train --folds K): the dataset's items dealt into K folds by patient and class
/// (<see cref="DatasetFolds"/>), written once as OUT/splits/fold-K.csv (a person may edit them; they are read back,
/// not redrawn), each fold trained as an ordinary run folder OUT/fold-K on its split file, then summarised in
/// OUT/cv.json and OUT/cv.md: a row per fold, mean ± sd, and the pooled out-of-fold metrics with bootstrap intervals
/// by patient. Finished folds are reused and an interrupted one resumes, so the same command continues the
/// cross-validation.
/// </summary>
public static class CrossValidationJob
{
    public const string SplitsFolder = "splits",
        JsonFile = "cv.json",
        MarkdownFile = "cv.md";

    /// <summary>How many folds and whether a test set is held out of them.</summary>
    /// <param name="HeldOutTest">0: each fold is tested once (out-of-fold); otherwise this share is held out as every
    /// fold's test set and fold k is run k's validation set.</param>
    public sealed record Plan(int Folds, double HeldOutTest = 0);

    public static CrossValidationSummary Run(
        TrainSettings settings,
        Plan plan,
        Action<string> log,
        CancellationToken cancel = default
    )
    {
        if (settings.SplitFile is not null || settings.Resume is not null)
            throw new ArgumentException(
                "A cross-validation writes its own split files and resumes by running it again; it takes no split "
                    + "file and no run folder to resume."
            );
        var (entry, root) = RunConfig.Absolute(settings.Dataset).Resolve();
        string outDirectory = Path.GetFullPath(
            settings.OutDirectory ?? Path.Combine("runs", $"{entry.Name}-cv{plan.Folds}")
        );
        var splitFiles = SplitFiles(outDirectory, entry, root, plan, log);
        var folds = new List<CrossValidationSummary.Fold>();
        for (int k = 1; k <= plan.Folds; k++)
        {
            cancel.ThrowIfCancellationRequested();
            string runDir = Path.Combine(outDirectory, $"fold-{k}");
            log($"[fold {k}/{plan.Folds}] {runDir}");
            var metrics = TrainFold(settings, runDir, splitFiles[k - 1], log, cancel);
            folds.Add(new CrossValidationSummary.Fold(k, runDir, metrics));
        }
        var summary = CrossValidationSummary.Of(entry.Name, plan, folds);
        var pooled =
            plan.HeldOutTest > 0
                ? TestLocalization.Measured.None
                : PooledLocalization(
                    settings,
                    entry,
                    root,
                    outDirectory,
                    splitFiles,
                    folds,
                    summary.Pooled,
                    log,
                    cancel
                );
        summary = summary with
        {
            Localization = CrossValidationLocalization.Tables(
                [.. folds.Select(f => (f.Number, f.Localization()))],
                pooled,
                ImageMapName(folds[0])
            ),
        };
        RunFiles.WriteJson(Path.Combine(outDirectory, JsonFile), summary);
        Transforms.AtomicFile.WriteText(Path.Combine(outDirectory, MarkdownFile), summary.Markdown());
        log($"Wrote {Path.Combine(outDirectory, JsonFile)} and {MarkdownFile}.");
        return summary;
    }

    /// <summary>OUT/splits/fold-1.csv … : read back when all are there, written when none is.</summary>
    internal static List<string> SplitFiles(
        string outDirectory,
        DatasetEntry entry,
        string root,
        Plan plan,
        Action<string> log
    )
    {
        string folder = Path.Combine(outDirectory, SplitsFolder);
        var files = Enumerable.Range(1, plan.Folds).Select(k => Path.Combine(folder, $"fold-{k}.csv")).ToList();
        int present = files.Count(File.Exists);
        if (present == plan.Folds)
        {
            log($"Using the split files in {folder}.");
            return files;
        }
        if (present > 0 || (Directory.Exists(folder) && Directory.EnumerateFiles(folder, "fold-*.csv").Any()))
            throw new DatasetException(
                $"{folder} holds split files of another cross-validation ({present} of the {plan.Folds} expected); "
                    + "use its number of folds, or another output folder."
            );
        var records = DatasetReader.IsSlides(entry)
            ? DatasetReader.ReadSlides(entry, root, log)
            : DatasetReader.Read(entry, root, log);
        var splits = DatasetFolds.Create(
            records,
            plan.Folds,
            entry.Split.ValidationFraction,
            plan.HeldOutTest,
            entry.Split.Seed
        );
        OutputFolder.Create(folder);
        for (int k = 0; k < plan.Folds; k++)
            SplitFile.Write(files[k], root, splits[k]);
        log(
            $"Wrote {plan.Folds} split files to {folder} (by patient and class, seed {entry.Split.Seed}); edit them "
                + "and run again to use others."
        );
        return files;
    }

    /// <summary>The map an image model draws (the localization block does not name it).</summary>
    private static string ImageMapName(CrossValidationSummary.Fold fold) =>
        fold.Metrics.Localization is null
            ? ""
            : AmilModel.Load(Path.Combine(fold.RunDirectory, RunFiles.ModelFile)).MapKind.Name();

    /// <summary>Every fold's test items scored again by that fold's model and measured together (<see
    /// cref="TestLocalization"/>; slide heatmaps into OUT/heatmaps); nothing when no item has a mask.</summary>
    private static TestLocalization.Measured PooledLocalization(
        TrainSettings settings,
        DatasetEntry entry,
        string root,
        string outDirectory,
        IReadOnlyList<string> splitFiles,
        IReadOnlyList<CrossValidationSummary.Fold> folds,
        ClassificationMetrics? pooled,
        Action<string> log,
        CancellationToken cancel
    )
    {
        bool slides = DatasetReader.IsSlides(entry);
        var records = slides
            ? DatasetReader.ReadSlides(entry, root, _ => { })
            : DatasetReader.Read(entry, root, _ => { });
        if (!records.Any(r => r.MaskPath is not null))
            return TestLocalization.Measured.None;
        log("Pooled out-of-fold localization: each fold's test items scored by its model.");
        var scoring = new ScoringOptions(Trainers.ComputeDevice.Parse(settings.Device), settings.FeatureCacheFolder);
        if (slides)
            Features.SlideBags.Watch(log);
        var items = new List<ImageRecord>();
        var scored = new List<ScoredImage>();
        AmilModel? first = null;
        foreach (var fold in folds)
        {
            var model = scoring.Load(Path.Combine(fold.RunDirectory, RunFiles.ModelFile));
            var test = SplitFile.Read(splitFiles[fold.Number - 1], root, records).Test;
            scored.AddRange(Evaluation.Score(model, test, cancel));
            items.AddRange(test);
            first ??= model;
        }
        return TestLocalization.Measure(first!, items, scored, outDirectory, "out-of-fold", pooled, log);
    }

    private static RunMetrics TrainFold(
        TrainSettings settings,
        string runDir,
        string splitFile,
        Action<string> log,
        CancellationToken cancel
    )
    {
        if (File.Exists(Path.Combine(runDir, RunFiles.ModelFile)))
        {
            log("  finished earlier; reused.");
            return RunReport.ReadJson<RunMetrics>(Path.Combine(runDir, RunFiles.MetricsFile));
        }
        var fold = File.Exists(Path.Combine(runDir, RunFiles.CheckpointFile))
            ? new TrainSettings
            {
                Resume = runDir,
                OnBag = settings.OnBag,
                OnImageChecked = settings.OnImageChecked,
            }
            : settings with
            {
                OutDirectory = runDir,
                SplitFile = splitFile,
            };
        return TrainJob.Run(fold, line => log($"  {line}"), cancel).Metrics;
    }
}
