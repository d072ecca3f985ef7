using System.Text.Json;
using Amil.MLNet.Application;
using Amil.MLNet.Maps.Heatmaps;
using Amil.MLNet.Transforms.Images;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>The CNN baseline trains on the same data, and localize / heatmap / evaluate --localization run on both
/// models end to end.</summary>
public class LocalizationRunTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    private static readonly object Gate = new();
    private static string? _cnnRun;

    private string CnnModel()
    {
        lock (Gate)
        {
            if (_cnnRun is null)
            {
                var dir = Path.Combine(run.Directory, "cnn");
                TrainJob.Run(
                    new TrainSettings
                    {
                        Dataset = new DatasetSelection(DatasetsFile: run.DatasetsFile),
                        OutDirectory = dir,
                        Epochs = 2,
                        Seed = 3,
                        Network = Trainers.Networks.NetworkArchitecture.CnnBaseline,
                    },
                    _ => { }
                );
                _cnnRun = dir;
            }
            return Path.Combine(_cnnRun, "model.zip");
        }
    }

    [Fact]
    public void MapOfAClassNeedsAClassAwareModel()
    {
        var images = Data.Datasets.DatasetReader.Read(
            Data.Datasets.DatasetRegistry.Load(run.DatasetsFile).Get(null),
            run.DataRoot
        );
        var e = Assert.Throws<ArgumentException>(() =>
            Localizing.Evaluate(run.Model, images.Take(4).ToList(), MapNormalization.None, null, ["malignant"])
        );
        Assert.Contains("--map-class needs a class-aware model", e.Message);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void LocalizeWritesBothMethodsScoresForTestImagesWithMasks()
    {
        var cnn = AmilModel.Load(CnnModel());
        Assert.Equal(MapKind.GradCam, cnn.MapKind);
        var scored = cnn.Score(run.SomeImages(1)).Single();
        Assert.Equal(64, scored.Map.Length);
        Assert.All(scored.Map, v => Assert.True(v >= 0));
        // The sample app scores this model kind through the same facade, in its own process.
        using (var sample = System.Text.Json.JsonDocument.Parse(Programs.RunSample(CnnModel(), scored.Path)))
        {
            Assert.Equal("gradcam", sample.RootElement.GetProperty("map_kind").GetString());
            Assert.Equal(scored.Map, sample.RootElement.GetProperty("map").EnumerateArray().Select(v => v.GetSingle()));
        }

        var outDir = Path.Combine(run.Directory, "localize");
        var mil = Path.Combine(run.RunDirectory, "model.zip");
        var report = LocalizeJob.Run(
            [$"amil={mil}"],
            CnnModel(),
            new DatasetSelection(DatasetsFile: run.DatasetsFile),
            outDir,
            MapNormalization.None,
            allImages: false,
            _ => { },
            ["malignant"]
        )!;
        Assert.Equal(run.Result.Metrics.Test!.Images, report.Images);
        // Two models, each as output and × p(malignant): four rows, named by label (or folder) and map.
        Assert.Equal(
            ["amil: attention", "amil: attention × p(malignant)", "cnn: gradcam", "cnn: gradcam × p(malignant)"],
            report.Methods.Select(m => m.Method)
        );
        foreach (var scores in new[] { report.Of(MapKind.Attention)!, report.Of(MapKind.GradCam)! })
        {
            Assert.Equal(report.Images * 64, scores.Instances);
            Assert.InRange(scores.InstanceAuroc!.Value, 0, 1);
            Assert.InRange(scores.PointingGame!.Value, 0, 1);
            Assert.True(scores.PositiveInstances > 0);
        }
        // The bag columns are the model's own test metrics, on the same images.
        var amil = report.Methods[0];
        Assert.Equal(run.Result.Metrics.Test.Accuracy, amil.Bag.Accuracy, 6);
        Assert.Equal(run.Result.Metrics.Test.Auc!.Value, amil.Bag.Auc!.Value, 6);
        Assert.Equal(["malignant"], report.Methods[1].WeightedBy);
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, RunFiles.LocalizationFile))))
        {
            var rows = json.RootElement.GetProperty("methods");
            Assert.Equal(4, rows.GetArrayLength());
            Assert.True(rows[0].GetProperty("scores").TryGetProperty("instance_auroc", out _));
            Assert.True(rows[2].GetProperty("scores").TryGetProperty("best_dice_threshold", out _));
            Assert.True(rows[0].GetProperty("bag").TryGetProperty("auc", out _));
        }
        var markdown = File.ReadAllLines(Path.Combine(outDir, RunFiles.LocalizationMarkdownFile));
        var header = markdown.Single(l => l.StartsWith("| method"));
        Assert.Contains("bag AUC", header);
        Assert.Contains("instance AUROC", header);
        var gradCamLine = markdown.Single(l => l.StartsWith("| cnn: gradcam |"));
        Assert.Contains(LocalizationTable.Format(report.Of(MapKind.GradCam)!.InstanceAuroc), gradCamLine);

        ArgumentException Refused(
            string[] models,
            string? gradCam,
            string[]? weightedBy = null,
            string[]? mapClasses = null
        ) =>
            Assert.Throws<ArgumentException>(() =>
                LocalizeJob.Run(
                    models,
                    gradCam,
                    new DatasetSelection(DatasetsFile: run.DatasetsFile),
                    outDir,
                    MapNormalization.None,
                    false,
                    _ => { },
                    weightedBy,
                    mapClasses
                )
            );
        Assert.Contains("'tumour' is not a class", Refused([mil], null, weightedBy: ["tumour"]).Message);
        Assert.Contains("class-aware", Refused([mil], null, mapClasses: ["malignant"]).Message);
        Assert.Contains("pass a CNN baseline", Refused([], mil).Message);
        var sameLabel = Refused([mil, mil], null);
        Assert.Contains("labelled", sameLabel.Message);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void HeatmapWritesPanelsWithBothOverlaysAndRawMaps()
    {
        var input = Path.GetDirectoryName(run.SomeImages(1)[0])!;
        var outDir = Path.Combine(run.Directory, "heatmaps");
        var entries = HeatmapJob
            .Run(
                Path.Combine(run.RunDirectory, "model.zip"),
                CnnModel(),
                input,
                outDir,
                new HeatmapJob.Settings(),
                _ => { }
            )
            .Panels;
        Assert.NotEmpty(entries);
        var panel = RgbImageReader.Read(Path.Combine(outDir, entries[0].Panel));
        // Three captioned 224 px tiles and a colour scale; the captions sit in a strip above the images.
        Assert.InRange(panel.Width, 3 * 224 + 3 * 8 + 20, 3 * 224 + 3 * 8 + 120);
        int strip = panel.Height - 224;
        Assert.InRange(strip, 3 * 7, 80);
        for (int tile = 0; tile < 3; tile++)
        {
            int dark = 0;
            for (int y = 0; y < strip; y++)
            for (int x = tile * 232; x < tile * 232 + 224; x++)
                dark += panel.Pixels[(y * panel.Width + x) * 3] == 0 ? 1 : 0;
            Assert.True(dark > 50, $"tile {tile} has no caption ({dark} dark pixels)");
        }
        var captions = HeatmapJob.Caption(
            CnnModel(),
            AmilModel.Load(CnnModel()),
            AmilModel.Load(CnnModel()).Score(run.SomeImages(1)).Single()
        );
        Assert.Equal("cnn", captions[0]);
        Assert.StartsWith("Grad-CAM for ", captions[1]);
        Assert.Matches(@"^predicted (benign|malignant) p=[01]\.\d\d$", captions[2]);
        Assert.True(File.Exists(Path.Combine(outDir, entries[0].Maps["attention"])));
        Assert.True(File.Exists(Path.Combine(outDir, entries[0].Maps["gradcam"])));
        Assert.NotNull(entries[0].GradCamPredicted);
        Assert.True(File.Exists(Path.Combine(outDir, "heatmaps.json")));
        // By default the panels show the tumour evidence on one scale for every image drawn, and say so.
        using (var list = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "heatmaps.json"))))
        {
            Assert.Equal("evidence", list.RootElement.GetProperty("shows").GetString());
            Assert.Equal("attention × p(malignant)", list.RootElement.GetProperty("evidence").GetString());
            Assert.True(list.RootElement.GetProperty("evidence_scale_top").GetDouble() > 0);
        }

        // QuPath tiles: one square per patch at the patch's pixels, with both maps as measurements.
        using var geo = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, entries[0].Maps["geojson"])));
        Assert.Equal("FeatureCollection", geo.RootElement.GetProperty("type").GetString());
        var features = geo.RootElement.GetProperty("features");
        var scored = run.Model.Score([entries[0].Image]).Single();
        Assert.Equal(64, features.GetArrayLength());
        var first = features[0];
        Assert.Equal("tile", first.GetProperty("properties").GetProperty("objectType").GetString());
        var measurements = first.GetProperty("properties").GetProperty("measurements");
        Assert.Equal(scored.Map[0], measurements.GetProperty("attention").GetSingle());
        Assert.True(measurements.TryGetProperty("gradcam", out _));
        var ring = first.GetProperty("geometry").GetProperty("coordinates")[0];
        Assert.Equal(5, ring.GetArrayLength());
        Assert.Equal(scored.Coordinates[0], ring[0][0].GetDouble());
        Assert.Equal(scored.Coordinates[1], ring[0][1].GetDouble());
        Assert.Equal(scored.Coordinates[0] + 28, ring[2][0].GetDouble());
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task TheViewerShowsTheCnnBaselinesGradCamBesideTheMap()
    {
        await using var server = await Viewer.ViewerServer.StartAsync(
            new Viewer.ViewRequest(run.RunDirectory, GradCamModel: CnnModel()),
            new Viewer.ViewerOptions(),
            _ => { }
        );
        using var http = new HttpClient { BaseAddress = server.Address };
        using var json = JsonDocument.Parse(await http.GetStringAsync("api/run"));
        var layers = json
            .RootElement.GetProperty("layers")
            .EnumerateArray()
            .Select(l => l.GetProperty("id").GetString());
        Assert.Contains("gradcam", layers);
        Assert.Contains("gradcam-evidence", layers);
        using var item = JsonDocument.Parse(await http.GetStringAsync("api/items/0"));
        var gradCam = item
            .RootElement.GetProperty("values")
            .GetProperty("gradcam")
            .EnumerateArray()
            .Select(v => v.GetSingle());
        Assert.Equal(64, gradCam.Count());
        Assert.Contains(gradCam, v => v > 0);
        using var tile = await http.GetAsync("overlay/0/gradcam/9/0_0.png");
        Assert.Equal(System.Net.HttpStatusCode.OK, tile.StatusCode);
        // A CNN where a MIL model is expected, or the other way round, is said plainly.
        var wrong = await Assert.ThrowsAsync<ArgumentException>(() =>
            Viewer.ViewerServer.StartAsync(
                new Viewer.ViewRequest(run.RunDirectory, GradCamModel: Path.Combine(run.RunDirectory, "model.zip")),
                new Viewer.ViewerOptions(),
                _ => { }
            )
        );
        Assert.Contains("CNN baseline", wrong.Message);
    }

    [Fact]
    public void FramePointsMapBackToTheOriginalImage()
    {
        // 200x100 resized to 100x50, then padded (centred) to 120x60: 10 px left, 5 px top.
        var frame = new Transforms.Bagging.ImageFrame(100, 50, 120, 60);
        Assert.Equal((0.0, 0.0), frame.ToOriginal(10, 5, 200, 100));
        Assert.Equal((200.0, 100.0), frame.ToOriginal(110, 55, 200, 100));
        Assert.Equal((30.0, 14.0), new Transforms.Bagging.ImageFrame(0, 0, 0, 0).ToOriginal(30, 14, 50, 50));
    }

    [Fact]
    public void EvaluateWithLocalizationAddsTheBlockToMetrics()
    {
        var outDir = Path.Combine(run.Directory, "eval-loc");
        var metrics = EvaluateJob.Run(
            Path.Combine(run.RunDirectory, "model.zip"),
            new DatasetSelection(DatasetsFile: run.DatasetsFile),
            outDir,
            _ => { },
            new() { Localization = true }
        )!;
        Assert.NotNull(metrics.Localization);
        Assert.Equal(metrics.Test!.Images, metrics.Localization!.Scores.Images);
        Assert.Contains("\"localization\"", File.ReadAllText(Path.Combine(outDir, "metrics.json")));
    }
}
