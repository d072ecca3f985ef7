using System.Diagnostics;
using Amil.MLNet.Application.Features;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Slides;
using Amil.MLNet.Trainers;
using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Stain;
using Microsoft.ML;

namespace Amil.MLNet.Application.Jobs;

/// <summary>
/// `train` on a whole-slide dataset: each slide is one bag of its tiles' cached ResNet18 features (224 px at 20×,
/// over tissue); the attention head trains on them, the test slides are scored, and their maps are measured
/// against the tumour masks (tile AUROC / AP, FROC) and drawn (PNG over the slide, QuPath GeoJSON). The run folder
/// (lock, log, checkpoint, resume, clean-up) is the run session's.
/// </summary>
internal static class SlideTraining
{
    /// <summary>The slides and their split, after checking that the settings can train on slides.</summary>
    internal static (IReadOnlyList<ImageRecord> Records, DatasetSplit Split) ReadAndSplit(
        TrainSettings settings,
        DatasetEntry entry,
        string root,
        Action<string> log
    )
    {
        if (settings.Network != NetworkArchitecture.FeatureAttentionMil)
            throw new DatasetException(
                $"Dataset '{entry.Name}' holds whole slides, which train on frozen tile features: add "
                    + "--encoder resnet18 (or an encoder manifest, docs/encoders.md)."
            );
        var records = DatasetReader.ReadSlides(entry, root, log);
        var split = TrainJob.SplitOf(settings, records, entry, root);
        if (split.Train.Count == 0 || split.Test.Count == 0)
            throw new DatasetException(
                $"Dataset '{entry.Name}': {records.Count} slides leave {split.Train.Count} for training and "
                    + $"{split.Test.Count} for testing; add slides."
            );
        return (records, split);
    }

    /// <summary>Each training and validation slide's annotation file; a slide without one stops the run, naming
    /// it.</summary>
    private static Dictionary<string, string> AnnotatedRegions(DatasetSplit split)
    {
        var fitting = split.Train.Concat(split.Validation).ToList();
        var missing = fitting.Where(r => r.MaskPath is null).Select(r => SlideLayout.SlideId(r.Path)).ToList();
        if (missing.Count > 0)
            throw new DatasetException(
                $"Tiling within annotations needs an annotation for every training and validation slide; "
                    + $"{missing.Count} of {fitting.Count} have none ({string.Join(", ", missing.Take(5))}"
                    + $"{(missing.Count > 5 ? ", …" : "")}). Annotate them, or tile all the tissue."
            );
        return fitting.ToDictionary(r => r.Path, r => r.MaskPath!);
    }

    /// <summary>Every bag the training reads, records first in their order (all the tissue, or within the annotations
    /// for training and validation slides when asked), then, within annotations, the validation slides whole (the saved
    /// model scores them so at the end), then each training slide's recoloured copies.</summary>
    private static List<SlideBags.Item> BagsToEncode(
        TrainSettings settings,
        IReadOnlyList<ImageRecord> records,
        DatasetSplit split,
        IReadOnlyList<ColourAugmentation> copies,
        Action<string> log
    )
    {
        var regions = settings.TileWithinAnnotations ? AnnotatedRegions(split) : [];
        if (copies.Count > 0)
            log(
                $"Colour augmentation: {copies.Count} recoloured {(copies.Count == 1 ? "copy" : "copies")} of each "
                    + $"of the {split.Train.Count} training "
                    + $"slides ({copies[0].Method.ToString().ToUpperInvariant()}, σ "
                    + FormattableString.Invariant($"{copies[0].Strength:G3}), each a bag of its own.")
            );
        var wholeValidation = settings.TileWithinAnnotations ? split.Validation : [];
        return
        [
            .. records.Select(r => new SlideBags.Item(r.Path, regions.GetValueOrDefault(r.Path))),
            .. wholeValidation.Select(r => new SlideBags.Item(r.Path)),
            .. copies.SelectMany(c =>
                split.Train.Select(r => new SlideBags.Item(r.Path, regions.GetValueOrDefault(r.Path), c))
            ),
        ];
    }

    private static SlideTilesOptions PerRow(SlideTilesOptions tiling, bool regions, bool augmentation)
    {
        var copy = tiling.Clone();
        copy.RegionsColumnName = regions ? SlideRows.RegionsColumn : null;
        copy.AugmentationColumnName = augmentation ? SlideRows.AugmentationColumn : null;
        return copy;
    }

    internal static RunMetrics Train(
        RunSession session,
        TrainSettings settings,
        TrainingSteps.Data data,
        CancellationToken cancel
    )
    {
        var (entry, _, records, split, _, _) = data;
        bool patients = settings.BagBy == BagUnit.Patient;
        if (patients && (settings.TileWithinAnnotations || settings.Augmentation is not null))
            throw new ArgumentException(
                "Bags by patient take each slide whole and as scanned: tiling within annotations and colour "
                    + "augmentation are for bags by slide."
            );
        // Read once: the tiling's defaults come from the encoder's manifest.
        var tiling = settings.SlideTiles;
        tiling.Stain = data.Stain?.Profile;
        var device = TrainingSteps.Begin(
            session,
            settings,
            data,
            $"{records.Count} slides",
            Details(settings, tiling, records.Count)
        );
        tiling.Validate();
        // Patient bags: the same split, each part's slides grouped by patient into slide sets, with the patients'
        // classes (the cohort's own where it derives them: CAMELYON17's pN stages from its nodes' classes).
        var (bags, classes) = patients ? ByPatient(session, split, entry) : (split, data.Classes);
        var copies = settings.AugmentationCopies();
        var prepared = SlideBags.Prepare(
            BagsToEncode(settings, records, split, copies, session.Log),
            settings.FeatureCacheFolder,
            tiling,
            session.Log,
            cancel
        );
        if (tiling.QualityControl)
            QualityReport.Write(
                session.Directory,
                split,
                records.Select((r, i) => (r.Path, prepared[i].Quality)).ToDictionary()
            );
        var fitted = Fit(session, settings, device, tiling, classes, bags, copies, cancel);
        // The first records.Count bags prepared are the slides as the saved model tiles them (the test slides' too).
        var tilesOf = records
            .Select((r, i) => (Path.GetFullPath(r.Path), prepared[i]))
            .ToDictionary(p => p.Item1, p => p.Item2);
        return TrainingSteps.Finish(
            session,
            fitted.Model,
            bags,
            new(fitted.Head, fitted.TrainSeconds),
            metrics => metrics with { Unit = patients ? RunReport.PatientUnit : RunReport.SlideUnit },
            patients
                ? (items, scored) =>
                    PatientBags.Unfold(items, scored, split.Test, slide => (tilesOf[slide].Tiles, tilesOf[slide].Side))
                : null
        );
    }

    /// <summary>What config.json records of a slide run beyond what every run records.</summary>
    private static (string, object?)[] Details(TrainSettings settings, SlideTilesOptions tiling, int slides) =>
        [
            ("slides", slides),
            ("encoder", EncoderRecord.Of(settings.Encoder)),
            (
                "tiling",
                new
                {
                    tile = tiling.TileSize,
                    magnification = tiling.MicronsPerPixel is null ? tiling.Magnification : null,
                    microns_per_pixel = tiling.MicronsPerPixel,
                    overlap = tiling.Overlap,
                    quality_control = tiling.QualityControl,
                    within_annotations = settings.TileWithinAnnotations,
                    bag_by = settings.BagBy.ToString().ToLowerInvariant(),
                    augmentation = settings.Augmentation is { } method
                        ? new
                        {
                            method = method.ToString().ToLowerInvariant(),
                            strength = settings.AugmentationStrength,
                            copies = settings.AugmentationCopyCount,
                        }
                        : null,
                }
            ),
        ];

    /// <summary>Each split part's slides grouped by patient into slide sets, and the patients' classes.</summary>
    private static (DatasetSplit Bags, string[] Classes) ByPatient(
        RunSession session,
        DatasetSplit split,
        DatasetEntry entry
    )
    {
        var bags = PatientBags.Group(split, session.Directory, PatientBags.PatientClass(entry));
        session.Log(
            $"Bags by patient: train {bags.Train.Count}, validation {bags.Validation.Count}, test "
                + $"{bags.Test.Count} patients (slide sets in {Path.Combine(session.Directory, PatientBags.Folder)})."
        );
        var classes = bags.Train.Concat(bags.Validation).Concat(bags.Test).Select(r => r.Label).Distinct().Order();
        return (bags, [.. classes]);
    }

    /// <summary>A trained and saved model: the head, and the model that scores slide paths with it.</summary>
    private sealed record Fitted(AttentionMilTransformer Head, AmilModel Model, double TrainSeconds);

    private static Fitted Fit(
        RunSession session,
        TrainSettings settings,
        ComputeDevice device,
        SlideTilesOptions tiling,
        string[] classes,
        DatasetSplit bags,
        IReadOnlyList<ColourAugmentation> copies,
        CancellationToken cancel
    )
    {
        var ml = new MLContext(seed: settings.Seed);
        var rows = new SlideRows(ml, classes);
        var tiles = ml.Transforms.TileSlides(tiling).Fit(rows.View([]));
        // Training bags within the annotations and recoloured; the saved model (and so the test split) tiles all the
        // tissue as scanned.
        var trainingTiles =
            settings.TileWithinAnnotations || copies.Count > 0
                ? ml
                    .Transforms.TileSlides(PerRow(tiling, settings.TileWithinAnnotations, copies.Count > 0))
                    .Fit(rows.View([]))
                : tiles;
        if (settings.ResumeFromCheckpoint)
            session.Log($"Resuming from {Path.Combine(session.Directory, RunFiles.CheckpointFile)}.");
        var trainer = RunTrainer.Create(
            ml,
            settings,
            device,
            new SlideTilesOptions().OutputColumnName,
            session.Directory,
            session.Log,
            cancel
        );
        var clock = Stopwatch.StartNew();
        var head = trainer.Fit(
            trainingTiles.Transform(rows.View(bags.Train, copies)),
            bags.Validation.Count > 0 ? trainingTiles.Transform(rows.View(bags.Validation)) : null
        );
        double trainSeconds = clock.Elapsed.TotalSeconds;
        RunFiles.WriteHistory(session.Directory, head.History);
        // The saved model reads slide paths: TileSlides, then the head — scored like any other model.
        var model = new AmilModel(ml, tiles.Append(head), ModelInput.Slides)
            .OnDevice(device)
            .WithFeatureCache(settings.FeatureCacheFolder);
        string path = Path.Combine(session.Directory, RunFiles.ModelFile);
        model.Save(path);
        session.Log($"Saved {path} (best epoch {head.BestEpoch} of {head.History.Count}).");
        return new(head, model, trainSeconds);
    }
}
