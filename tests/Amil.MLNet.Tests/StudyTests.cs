using System.Text.Json;
using Amil.MLNet.Application.Jobs;
using Amil.MLNet.Application.Study;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>The study trains each method × seed once, compares them per seed, and its summary is the mean ± sd of
/// the per-seed tables.</summary>
public class StudyTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public void StudySummarisesPerSeedComparisonsAndContinuesWithoutRetraining()
    {
        var dir = TestTemp.Folder("amil-study-").FullName;
        var datasetsFile = Path.Combine(dir, "datasets.json");
        File.WriteAllText(
            datasetsFile,
            """
            {
              "default": "tiny-hard",
              "datasets": {
                "tiny-hard": {
                  "layout": "synthetic",
                  "root": "data",
                  "synthetic": { "kind": "breakhis-hard", "count": 48, "seed": 3 },
                  "split": { "test_fraction": 0.34, "validation_fraction": 0.25, "seed": 1 },
                  "patches": { "crop": "112x168", "size": 28, "stride": 28 }
                }
              }
            }
            """
        );
        var settings = new StudySettings
        {
            Datasets = ["tiny-hard"],
            DatasetsFile = datasetsFile,
            Methods = [Heads.Attention, Heads.Find("additive"), Heads.Find("cnn")],
            Seeds = [1, 2],
            Epochs = 1,
            OutDirectory = Path.Combine(dir, "study"),
        };
        var summary = StudyJob.Run(settings, _ => { });

        var result = Assert.Single(summary.Datasets);
        Assert.Equal(["malignant"], result.TumourClasses);
        Assert.Equal(
            [
                "attention: attention",
                "attention: attention × p(malignant)",
                "additive: contribution",
                "additive: contribution of malignant",
                "additive: contribution of malignant × p(malignant)",
                "cnn: gradcam",
                "cnn: gradcam × p(malignant)",
            ],
            result.Methods.Select(m => m.Method)
        );
        foreach (var method in Heads.Names.Where(m => m is "attention" or "additive" or "cnn"))
        foreach (int seed in new[] { 1, 2 })
            Assert.True(
                File.Exists(Path.Combine(settings.OutDirectory, "tiny-hard", $"{method}-seed{seed}", "model.zip"))
            );

        // Mean and sd are those of the two per-seed tables.
        var perSeed = new[] { 1, 2 }
            .Select(seed =>
                JsonDocument.Parse(
                    File.ReadAllText(
                        Path.Combine(
                            settings.OutDirectory,
                            "tiny-hard",
                            $"localize-seed{seed}",
                            RunFiles.LocalizationFile
                        )
                    )
                )
            )
            .ToList();
        Assert.All(
            perSeed,
            d =>
                Assert.True(
                    d.RootElement.GetProperty("methods")[3]
                        .GetProperty("scores")
                        .GetProperty("positive_instances")
                        .GetInt32() > 0
                )
        );
        double Auroc(JsonDocument d, int row) =>
            d.RootElement.GetProperty("methods")[row].GetProperty("scores").GetProperty("instance_auroc").GetDouble();
        double a = Auroc(perSeed[0], 3),
            b = Auroc(perSeed[1], 3);
        var cell = result.Methods[3].Values["instance AUROC"]!;
        Assert.Equal((a + b) / 2, cell.Mean, 9);
        Assert.Equal(Math.Abs(a - b) / Math.Sqrt(2), cell.Sd, 9);
        Assert.Equal(2, cell.N);

        var markdown = File.ReadAllText(Path.Combine(settings.OutDirectory, StudyJob.MarkdownFile));
        Assert.Contains("| additive: contribution of malignant | ", markdown);
        Assert.Contains(cell.ToString(), markdown);
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(settings.OutDirectory, StudyJob.JsonFile))))
            Assert.Equal(7, json.RootElement.GetProperty("datasets")[0].GetProperty("methods").GetArrayLength());

        // Run again: every training is reused, and the summary is the same.
        var log = new List<string>();
        var again = StudyJob.Run(settings, log.Add);
        Assert.Equal(6, log.Count(l => l.Contains("  finished earlier; reused")));
        Assert.Equal(2, log.Count(l => l.Contains("comparison finished earlier; reused")));
        Assert.Equal(cell, again.Datasets[0].Methods[3].Values["instance AUROC"]);

        // Summarise only: a method and a seed never trained are left out, and nothing is trained.
        log.Clear();
        var partial = StudyJob.Run(
            settings with
            {
                Methods = [.. settings.Methods, Heads.Find("clam")],
                Seeds = [1, 2, 3],
                TrainMissing = false,
            },
            log.Add
        );
        Assert.Equal(6, log.Count(l => l.Contains("not trained yet; left out"))); // clam × 3 seeds, seed 3 × 3
        Assert.Equal([1, 2], partial.Datasets[0].Seeds);
        Assert.Equal(result.Methods.Select(m => m.Method), partial.Datasets[0].Methods.Select(m => m.Method));
        Assert.False(Directory.Exists(Path.Combine(settings.OutDirectory, "tiny-hard", "clam-seed1")));
    }

    [Fact]
    public void MeanSdOfOneValueHasZeroSpreadAndNoValuesGiveNothing()
    {
        Assert.Equal(new StudySummary.MeanSd(0.5, 0, 1), StudySummary.MeanSd.Of([0.5]));
        Assert.Null(StudySummary.MeanSd.Of([]));
        var two = StudySummary.MeanSd.Of([1.0, 3.0])!;
        Assert.Equal(2.0, two.Mean);
        Assert.Equal(Math.Sqrt(2), two.Sd, 12);
        Assert.Equal("2.000 ± 1.414", two.ToString());
        Assert.Throws<ArgumentException>(() => Heads.Find("lstm"));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void AStudyOverFoldsTrainsAndComparesEachFoldOnItsOwnTestPart()
    {
        var dir = TestTemp.Folder("amil-study-folds-").FullName;
        var datasetsFile = Path.Combine(dir, "datasets.json");
        File.WriteAllText(
            datasetsFile,
            """
            { "datasets": { "tiny": {
                "layout": "synthetic", "root": "data",
                "synthetic": { "kind": "breakhis", "count": 32, "seed": 4 },
                "split": { "validation_fraction": 0.25, "seed": 1 },
                "patches": { "crop": "112x168", "size": 28, "stride": 28 } } } }
            """
        );
        var settings = new StudySettings
        {
            Datasets = ["tiny"],
            DatasetsFile = datasetsFile,
            Methods = [Heads.Attention],
            Folds = 2,
            Epochs = 1,
            OutDirectory = Path.Combine(dir, "study"),
        };

        var summary = StudyJob.Run(settings, _ => { });

        var result = Assert.Single(summary.Datasets);
        Assert.Equal("fold", result.By);
        Assert.Equal([1, 2], result.Seeds);
        Assert.Contains("mean ± sd over folds 1, 2", summary.Markdown());
        // The summary points at each fold's comparison, where the intervals and paired tests are: files that exist.
        Assert.Contains("`tiny/localize-fold2/localization.md`", summary.Markdown());
        var folder = Path.Combine(settings.OutDirectory, "tiny");
        var tested = new List<HashSet<string>>();
        foreach (int k in new[] { 1, 2 })
        {
            Assert.True(File.Exists(Path.Combine(folder, $"attention-fold{k}", "model.zip")));
            var split = File.ReadAllLines(Path.Combine(folder, "splits", $"fold-{k}.csv"));
            var test = split.Skip(1).Where(l => l.EndsWith(",test")).Select(l => l.Split(',')[0]).ToHashSet();
            using var json = JsonDocument.Parse(
                File.ReadAllText(Path.Combine(folder, $"localize-fold{k}", "localization.json"))
            );
            Assert.Equal(test.Count, json.RootElement.GetProperty("images").GetInt32()); // the fold's own test part
            Assert.True(File.Exists(Path.Combine(folder, $"localize-fold{k}", "localization.md")));
            tested.Add(test);
        }
        Assert.Empty(tested[0].Intersect(tested[1]));

        var log = new List<string>();
        StudyJob.Run(settings, log.Add);
        Assert.Equal(2, log.Count(l => l.Trim() == "finished earlier; reused."));
        Assert.Equal(2, log.Count(l => l.Trim() == "comparison finished earlier; reused."));
    }
}
