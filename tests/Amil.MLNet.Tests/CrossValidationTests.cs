using System.Text.Json;
using Amil.MLNet.Application;
using Amil.MLNet.Application.Runs;
using Amil.MLNet.Application.Study;
using Amil.MLNet.Data.Datasets;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>k-fold splits grouped by patient with no leakage, split files read back strictly, and a cross-validation
/// that trains each fold once, continues when run again and pools every item's one out-of-fold score.</summary>
public sealed class CrossValidationTests
{
    /// <summary>30 patients of 1 to 3 images; a third of them malignant.</summary>
    private static List<ImageRecord> Records() =>
        Enumerable
            .Range(0, 30)
            .SelectMany(p =>
                Enumerable
                    .Range(0, 1 + p % 3)
                    .Select(i => new ImageRecord(
                        $"/data/p{p:D2}-{i}.png",
                        p % 3 == 0 ? "malignant" : "benign",
                        $"p{p}"
                    ))
            )
            .ToList();

    [Theory]
    [InlineData(0)]
    [InlineData(0.2)]
    public void FoldsKeepEachPatientOnOneSideAndTestEveryItemOnceOrHoldOutOneTestSet(double heldOut)
    {
        var records = Records();
        var splits = DatasetFolds.Create(records, 5, 0.2, heldOut, seed: 3);

        Assert.Equal(5, splits.Count);
        foreach (var split in splits)
        {
            var sides = new[] { split.Train, split.Validation, split.Test }
                .Select(part => part.Select(r => r.Patient!).ToHashSet())
                .ToArray();
            Assert.Empty(sides[0].Intersect(sides[1]));
            Assert.Empty(sides[0].Intersect(sides[2]));
            Assert.Empty(sides[1].Intersect(sides[2]));
            Assert.Equal(records.Count, split.Train.Count + split.Validation.Count + split.Test.Count);
            // stratified: every fold holds both classes
            Assert.Equal(2, (heldOut > 0 ? split.Validation : split.Test).Select(r => r.Label).Distinct().Count());
        }
        var folds = splits.Select(s => heldOut > 0 ? s.Validation : s.Test).ToList();
        var covered = folds.SelectMany(f => f).Concat(heldOut > 0 ? splits[0].Test : []).Select(r => r.Path).ToList();
        // every item in exactly one fold (or the held-out test set)
        Assert.Equal(records.Select(r => r.Path).Order(), covered.Order());
        if (heldOut > 0)
            Assert.All(splits, s => Assert.Equal(splits[0].Test, s.Test));
        Assert.Equal(
            splits.Select(s => s.Test.Count),
            DatasetFolds.Create(records, 5, 0.2, heldOut, seed: 3).Select(s => s.Test.Count)
        );
    }

    [Fact]
    public void ASplitFileRoundTripsAndAnEditThatLeaksOrNamesStrangersIsRefusedByLine()
    {
        var records = Records();
        var folder = TestTemp.Folder("split-file-").FullName;
        var file = Path.Combine(folder, "fold-1.csv");
        var split = DatasetFolds.Create(records, 3, 0.2, 0, seed: 1)[0];
        SplitFile.Write(file, "/data", split);

        var back = SplitFile.Read(file, "/data", records);
        Assert.Equal(split.Train, back.Train);
        Assert.Equal(split.Test, back.Test);

        var lines = File.ReadAllLines(file);
        // a test patient with two images: one of them moved to train leaks that patient
        int moved = Enumerable
            .Range(1, lines.Length - 1)
            .First(i =>
                lines[i].EndsWith(",test", StringComparison.Ordinal)
                && lines.Count(l => l.Split(',')[2] == lines[i].Split(',')[2]) > 1
            );
        var leaking = (string[])lines.Clone();
        leaking[moved] = lines[moved][..^",test".Length] + ",train";
        File.WriteAllLines(file, leaking);
        var leak = Assert.Throws<DatasetException>(() => SplitFile.Read(file, "/data", records));
        Assert.Contains($"patient '{lines[moved].Split(',')[2]}' is in", leak.Message);
        Assert.Contains("line", leak.Message);

        File.WriteAllLines(file, [.. lines, "elsewhere.png,benign,,train"]);
        var stranger = Assert.Throws<DatasetException>(() => SplitFile.Read(file, "/data", records));
        Assert.Contains($"line {lines.Length + 1}: 'elsewhere.png' is not an item of the dataset", stranger.Message);

        var relabelled = (string[])lines.Clone();
        var fields = relabelled[1].Split(',');
        fields[1] = fields[1] == "benign" ? "malignant" : "benign";
        relabelled[1] = string.Join(',', fields);
        File.WriteAllLines(file, relabelled);
        Assert.Contains(
            "is labelled",
            Assert.Throws<DatasetException>(() => SplitFile.Read(file, "/data", records)).Message
        );
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void ACrossValidationTrainsEachFoldOnceContinuesWhenRunAgainAndPoolsEveryItemOnce()
    {
        var work = TestTemp.Folder("cv-").FullName;
        var datasets = Path.Combine(work, "datasets.json");
        File.WriteAllText(
            datasets,
            """
            { "default": "tiny", "datasets": { "tiny": { "layout": "synthetic", "root": "data",
              "synthetic": { "kind": "breakhis", "count": 48, "seed": 5 },
              "split": { "test_fraction": 0.25, "validation_fraction": 0.25, "seed": 2 },
              "patches": { "crop": "112x112", "size": 28, "stride": 28 } } } }
            """
        );
        var settings = new TrainSettings
        {
            Dataset = new DatasetSelection(DatasetsFile: datasets),
            OutDirectory = Path.Combine(work, "cv"),
            Epochs = 2,
        };
        var first = CrossValidationJob.Run(settings, new CrossValidationJob.Plan(3), _ => { });
        var lines = new List<string>();
        var again = CrossValidationJob.Run(settings, new CrossValidationJob.Plan(3), lines.Add);

        Assert.Equal(3, first.Rows.Count);
        Assert.Equal(48, first.Rows.Sum(r => r.TestItems));
        Assert.Equal(48, first.Pooled!.Images);
        Assert.NotNull(first.Pooled.Intervals);
        Assert.Equal(3, lines.Count(l => l.Contains("finished earlier; reused.")));
        Assert.Equal(first.Mean, again.Mean);
        double mean = first.Rows.Average(r => r.Values[0]!.Value);
        Assert.Equal(Math.Round(mean, 4), first.Mean[0]);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(work, "cv", CrossValidationJob.JsonFile)));
        Assert.Equal(3, json.RootElement.GetProperty("rows").GetArrayLength());
        Assert.True(File.Exists(Path.Combine(work, "cv", "splits", "fold-3.csv")));
        Assert.Contains("mean ± sd", File.ReadAllText(Path.Combine(work, "cv", CrossValidationJob.MarkdownFile)));
        Assert.Equal([1, 2, 3], first.Calibration.Select(c => c.Fold));
        foreach (var (c, row) in first.Calibration.Zip(first.Rows))
        {
            Assert.Equal(row.Values[4]!.Value, c.Ece!.Value, 4); // the test block holds the calibrated ECE
            if (c.Temperature == 1)
                Assert.Equal(c.EceBefore, c.Ece);
        }
        string cv = File.ReadAllText(Path.Combine(work, "cv", CrossValidationJob.MarkdownFile));
        Assert.Contains("## Calibration on each fold's test split", cv);
        Assert.Contains("| accuracy |", cv);
        Assert.Equal(1.0, first.Pooled.AccuracyCoverage![^1].Coverage, 6);
        Assert.Equal(first.Pooled.Accuracy, first.Pooled.AccuracyCoverage[^1].Accuracy, 3); // kept to 4 places
        AssertLocalizationTable(first, work);
    }

    /// <summary>The maps' table: each fold's row is what its run measured (metrics.json), the mean is theirs, and
    /// the pooled figures come with intervals that hold them.</summary>
    private static void AssertLocalizationTable(CrossValidationSummary summary, string work)
    {
        var table = Assert.Single(summary.Localization);
        Assert.Equal("attention", table.Map);
        Assert.Equal(["instance_auroc", "instance_ap", "pixel_auroc", "best_dice", "pointing_game"], table.Columns);
        Assert.Equal([1, 2, 3], table.Rows.Select(r => r.Fold));
        foreach (var row in table.Rows)
        {
            using var metrics = JsonDocument.Parse(
                File.ReadAllText(Path.Combine(work, "cv", $"fold-{row.Fold}", RunFiles.MetricsFile))
            );
            var scores = metrics.RootElement.GetProperty("localization").GetProperty("scores");
            for (int c = 0; c < table.Columns.Count; c++)
                Assert.Equal(
                    scores.TryGetProperty(table.Columns[c], out var value) ? value.GetDouble() : null,
                    row.Values[c]
                );
        }
        // A fold whose test patches hold no tumour has no AUROC: the mean is over the folds that have one.
        Assert.Equal(Math.Round(table.Rows.Select(r => r.Values[0]).OfType<double>().Average(), 4), table.Mean[0]);
        var pooled = table.Pooled!;
        for (int c = 0; c < table.Columns.Count; c++)
            if (pooled.Values[c] is { } value)
            {
                Assert.InRange(value, 0, 1);
                Assert.InRange(value, pooled.Intervals[c]![0] - 1e-9, pooled.Intervals[c]![1] + 1e-9);
            }
        Assert.NotNull(pooled.Values[0]);
        string markdown = File.ReadAllText(Path.Combine(work, "cv", CrossValidationJob.MarkdownFile));
        Assert.Contains("## Localization: attention", markdown);
        Assert.Contains("| pooled out-of-fold |", markdown);
    }
}

/// <summary>The slide half of the cross-validation's map tables, on reports built by hand: a table per map every
/// fold measured, the folds' own figures and intervals, their mean ± sd and the pooled figures.</summary>
public sealed class CrossValidationSlideMapsTests
{
    private static SlideLocalization.MapScores Map(string name, double auroc, double froc) =>
        new("model", name, 1, 1, auroc, auroc - 0.1, froc, [froc])
        {
            Intervals = new Dictionary<string, double[]>
            {
                ["instance_auroc"] = [auroc - 0.05, auroc + 0.01],
                ["froc"] = [froc - 0.2, froc],
            },
        };

    private static TestLocalization.Measured Slides(params SlideLocalization.MapScores[] maps) =>
        new(null, new SlideLocalization.Report(["tumor"], 4, 400, 40, 3, [0.25], maps));

    [Fact]
    public void EachMapGetsATableOfItsFoldsTheirMeanAndThePooledFigures()
    {
        var tables = CrossValidationLocalization.Tables(
            [
                (1, Slides(Map("attention", 0.9, 0.8), Map("attention × p(tumor)", 0.95, 0.9))),
                (2, Slides(Map("attention", 0.7, 0.6), Map("attention × p(tumor)", 0.85, 0.7))),
            ],
            Slides(Map("attention", 0.81, 0.7), Map("attention × p(tumor)", 0.9, 0.8)),
            imageMap: "unused"
        );

        Assert.Equal(["attention", "attention × p(tumor)"], tables.Select(t => t.Map));
        var attention = tables[0];
        Assert.Equal(["instance_auroc", "instance_ap", "froc"], attention.Columns);
        Assert.Equal([0.9, 0.8, 0.8], attention.Rows[0].Values);
        Assert.Equal([0.85, 0.91], attention.Rows[0].Intervals[0]!);
        Assert.Null(attention.Rows[0].Intervals[1]); // no interval given for tile AP
        Assert.Equal(0.8, attention.Mean[0]!.Value, 10);
        Assert.Equal(Math.Round(Math.Sqrt(0.02), 4), attention.Sd[0]); // sample sd of 0.9 and 0.7
        Assert.Equal([0.81, 0.81 - 0.1, 0.7], attention.Pooled!.Values);
        string markdown = attention.Markdown();
        Assert.Contains("| fold | tile AUROC | tile AP | FROC |", markdown);
        Assert.Contains("| 1 | 0.900 [0.850, 0.910] | 0.800 | 0.800 [0.600, 0.800] |", markdown);
        Assert.Contains("| pooled out-of-fold | 0.810 [0.760, 0.820] | 0.710 | 0.700 [0.500, 0.700] |", markdown);
    }

    [Fact]
    public void AMapOneFoldLacksAndFoldsWithoutMasksGiveNoTable()
    {
        var partly = CrossValidationLocalization.Tables(
            [
                (1, Slides(Map("attention", 0.9, 0.8), Map("attention × p(tumor)", 0.95, 0.9))),
                (2, Slides(Map("attention", 0.7, 0.6))),
            ],
            TestLocalization.Measured.None,
            imageMap: "unused"
        );
        var table = Assert.Single(partly);
        Assert.Null(table.Pooled);
        Assert.Empty(
            CrossValidationLocalization.Tables(
                [(1, Slides(Map("attention", 0.9, 0.8))), (2, TestLocalization.Measured.None)],
                TestLocalization.Measured.None,
                "unused"
            )
        );
    }
}
