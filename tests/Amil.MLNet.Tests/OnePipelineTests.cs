using System.Text.Json;
using Amil.MLNet.Application;
using Amil.MLNet.Application.Jobs;
using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Slides;
using Amil.MLNet.Trainers;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Viewer;
using Microsoft.ML;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Images and slides take the same steps: what the metrics measure is what the viewer draws, every
/// GeoJSON lands in the original image's pixels, a class's map is reported for slides as for images, and a slide
/// training scores its test split where it trained.</summary>
public sealed class OnePipelineTests
{
    private static readonly string[] Classes = ["normal", "tumor"];

    /// <summary>A CLAM slide the model calls normal: its predicted class's map is not the tumour class's map.</summary>
    private static ScoredImage ClamCalledNormal() =>
        new(
            "slide.svs",
            0,
            [0.8f, 0.2f],
            [0.7f, 0.1f, 0.1f, 0.1f],
            new int[8],
            new BagLayout(512, 224, 224, 1, 4, 0, 0, 896, 224),
            MapKind.ClassAttention
        )
        {
            ClassMaps = [0.7f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.7f],
        };

    [Fact]
    public void SlideMetricsMeasureTheTumourEvidenceTheViewerDraws()
    {
        var s = ClamCalledNormal();
        var maps = SlideLocalization.Maps(s.MapKind, Classes, ["tumor"]);
        var item = new ViewItem(0, "slide.svs", "slide.svs", ModelInput.Slides, s, 896, 224, "tumor", null);
        var drawn = new ViewLayers(new ViewSet("t", [item], Classes, s.MapKind, ["tumor"], null)).Raw(item, "evidence");
        // The tumour class's own branch × p(tumor), attention as N·a: the predicted (normal) branch is not it.
        float[] expected = [0.08f, 0.08f, 0.08f, 0.56f];
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], drawn[i], 5);
        Assert.Equal(drawn, maps[1].Values(s));
    }

    [Fact]
    public void ImageLocalizationWeighsTheTumourClassesOwnMapAsTheEvidenceDoes()
    {
        // Tumour under the last patch only: the tumour branch finds it, the predicted (normal) branch does not.
        var folder = TestTemp.Folder("one-pipeline-mask").FullName;
        var pixels = new byte[896 * 224 * 3];
        for (int y = 0; y < 224; y++)
            Array.Fill(pixels, (byte)255, (y * 896 + 672) * 3, 224 * 3);
        var mask = Path.Combine(folder, "mask.png");
        RgbImageWriter.WritePng(mask, new RgbImage(896, 224, pixels));
        var s = ClamCalledNormal() with { Path = Path.Combine(folder, "image.png") };
        var evaluator = Localizing.Evaluate(
            Classes,
            [(new Data.Datasets.ImageRecord(s.Path, "tumor", MaskPath: mask), s)],
            Maps.Heatmaps.MapNormalization.None,
            tumourClasses: ["tumor"]
        );
        Assert.Equal(1.0, evaluator.Scores().InstanceAuroc);
    }

    [Fact]
    public async Task TheViewersGeoJsonPlacesTilesInTheOriginalImagesPixels()
    {
        // A 300 × 200 image the model halved (150 × 100) and padded to 224 × 224: 37 px left, 62 px above.
        var folder = TestTemp.Folder("one-pipeline-geojson").FullName;
        var image = Path.Combine(folder, "image.png");
        RgbImageWriter.WritePng(image, new RgbImage(300, 200, Enumerable.Repeat((byte)200, 300 * 200 * 3).ToArray()));
        var frame = new ImageFrame(150, 100, 224, 224);
        var prediction = new PredictJob.Prediction(
            image,
            "malignant",
            new Dictionary<string, float> { ["benign"] = 0.2f, ["malignant"] = 0.8f },
            "attention",
            [new PredictJob.PatchValue(37, 62, 112, 112, 1f)]
        )
        {
            Frame = frame.Encode(),
        };
        RunFiles.WriteJson(Path.Combine(folder, "predictions.json"), new[] { prediction });
        await using var server = await ViewerServer.StartAsync(new ViewRequest(folder), new ViewerOptions(), _ => { });
        using var http = new HttpClient { BaseAddress = server.Address };
        var json = JsonDocument.Parse(await http.GetStringAsync("api/items/0/geojson")).RootElement;
        var ring = json.GetProperty("features")[0].GetProperty("geometry").GetProperty("coordinates")[0];
        var corners = ring.EnumerateArray().Select(p => (p[0].GetDouble(), p[1].GetDouble())).ToList();
        Assert.Equal((0.0, 0.0), corners[0]);
        Assert.Equal(frame.ToOriginal(37 + 112, 62 + 112, 300, 200), corners[2]);
        Assert.Equal((224.0, 224.0), corners[2]);
    }

    private sealed class SlideRow
    {
        public string SlidePath { get; set; } = "";
        public string Label { get; set; } = "";
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void PredictReportsAClassMapOfASlideModelAsOfAnImageModel()
    {
        var root = TestTemp.Folder("one-pipeline-slides").FullName;
        SyntheticSlides.Generate(root, new SyntheticSlideOptions(4, 5) { Width = 1024, Height = 768 });
        var slides = Directory.EnumerateFiles(Path.Combine(root, "slides"), "*.svs").Order().ToList();
        var cache = TestTemp.Folder("one-pipeline-cache").FullName;
        SlideFeatures.CacheFolder = cache;
        var ml = new MLContext(seed: 1);
        var rows = slides.Select(p => new SlideRow { SlidePath = p, Label = Path.GetFileName(p).Split('_')[0] });
        var data = ml.Data.LoadFromEnumerable(rows.ToList());
        var fitted = ml
            .Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.TileSlides())
            .Append(
                ml.MulticlassClassification.Trainers.AttentionMil(
                    new AttentionMilOptions
                    {
                        BagColumnName = "Features",
                        MaxEpochs = 1,
                        Pooling = Heads.Find("clam"),
                    }
                )
            )
            .Fit(data);
        var model = Path.Combine(TestTemp.Folder("one-pipeline-clam").FullName, "model.zip");
        new AmilModel(ml, fitted, ModelInput.Slides).Save(model);

        var output = Path.Combine(TestTemp.Folder("one-pipeline-predict").FullName, "out");
        var predicted = PredictJob.Run(
            model,
            slides[0],
            output,
            _ => { },
            new()
            {
                Scoring = new ScoringOptions(FeatureCache: cache),
                Map = new PredictJob.ReportedMap("tumor", "tumor"),
            }
        );
        var p = Assert.Single(predicted);
        Assert.Equal("class-attention of tumor × p(tumor)", p.Map);
        float pTumour = p.Probabilities["tumor"];
        Assert.All(p.Patches, x => Assert.Equal(x.Classes!["tumor"] * pTumour, x.Value, 6));

        // The other kind of input: a PNG is named as an image, not "not a readable TIFF".
        var png = Path.Combine(TestTemp.Folder("one-pipeline-png").FullName, "patch.png");
        TestImages.WritePng(png, 64, 64, dark: false, seed: 1);
        var (exit, _, stderr) = Programs.Predict(model, png, output + "-png");
        Assert.Equal(1, exit);
        Assert.Contains("is an image, but the model scores whole slides", stderr);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void HeatmapTakesTheClassesToColourByForImagesAsForSlides()
    {
        var folder = TestTemp.Folder("one-pipeline-heatmap").FullName;
        var data = TestImages.ImageFolder(Path.Combine(folder, "data"), parts: ("", 2));
        var run = Path.Combine(folder, "run");
        string[] train = ["train", "--data", data, "--layout", "image-folder", "--crop", "none", "--epochs", "1"];
        var (exit, _, stderr) = Programs.Amil([.. train, "--out", run]);
        Assert.True(exit == 0, stderr);
        var output = Path.Combine(folder, "maps");
        string model = Path.Combine(run, "model.zip");
        string[] heatmap = ["heatmap", "--model", model, "--input", data, "--out", output, "--map-class", "light"];
        (exit, _, stderr) = Programs.Amil(heatmap);
        Assert.True(exit == 0, stderr);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "heatmaps.json"))).RootElement;
        Assert.Equal("attention × p(light)", json.GetProperty("evidence").GetString());
    }
}

/// <summary>A training scores its test split where it trained, images and slides alike; a model's device is its own,
/// so nothing here is process-wide.</summary>
public sealed class TrainingDeviceTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public void ASlideTrainingScoresItsTestSplitOnTheTrainingDevice()
    {
        var root = TestTemp.Folder("one-pipeline-device").FullName;
        SyntheticSlides.Generate(root, new SyntheticSlideOptions(6, 3) { Width = 1024, Height = 768 });
        var settings = new TrainSettings
        {
            Dataset = new DatasetSelection(DataDirectory: root, Layout: "wsi"),
            OutDirectory = Path.Combine(root, "run"),
            Epochs = 1,
            Device = "auto",
            Network = Trainers.Networks.NetworkArchitecture.FeatureAttentionMil,
            FeatureCacheFolder = Path.Combine(root, "cache"),
        };
        var lines = new List<string>();
        var result = TrainJob.Run(settings, lines.Add);
        Assert.Equal("auto", result.Metrics.ScoredOn);
        Assert.Contains(RunSession.ScoredOn(ComputeDevice.Parse("auto")), lines);
        var json = File.ReadAllText(Path.Combine(result.RunDirectory, RunFiles.MetricsFile));
        Assert.Contains("\"scored_on\": \"auto\"", json);
    }
}

/// <summary>A model's device is a property of the model: asking for a missing GPU fails at once and leaves the model
/// it came from as it was; another device scores the same.</summary>
[Collection("trained")]
public sealed class ModelDeviceTests(TrainedRunFixture run)
{
    [SkippableFact]
    public void AModelOnAnotherDeviceIsANewModelAndAMissingGpuIsRefusedAtOnce()
    {
        Skip.If(ComputeDevice.CudaAvailable(), "a check for machines without CUDA, like CI; this one has a GPU");
        Assert.Throws<DeviceUnavailableException>(() => run.Model.OnDevice(ComputeDevice.Parse("cuda")));
        Assert.Equal(ComputeDevice.Cpu, run.Model.Device);
        var auto = run.Model.OnDevice(ComputeDevice.Parse("auto"));
        Assert.Equal(ComputeDevice.Parse("auto"), auto.Device);
        var images = run.SomeImages(2);
        Assert.Equal(
            run.Model.Score(images).Select(s => s.Probabilities),
            auto.Score(images).Select(s => s.Probabilities)
        );
        Assert.Equal("cpu", run.Result.Metrics.ScoredOn);
    }
}

/// <summary>A training measures its test split's maps through the same step as evaluate: an image run's metrics.json
/// holds the localization block that evaluate --localization gives for the same model and split.</summary>
[Collection("trained")]
public sealed class TrainingLocalizationTests(TrainedRunFixture run)
{
    [Fact]
    public void AnImageTrainingMeasuresItsTestMapsAsEvaluateDoes()
    {
        var trained = run.Result.Metrics.Localization;
        Assert.NotNull(trained);
        var evaluated = EvaluateJob.Run(
            Path.Combine(run.RunDirectory, RunFiles.ModelFile),
            new DatasetSelection(DatasetsFile: run.DatasetsFile),
            Path.Combine(TestTemp.Folder("train-localization").FullName, "evaluate"),
            _ => { },
            new EvaluateJob.Options { Localization = true }
        )!;
        var scores = evaluated.Localization!.Scores;
        Assert.True(scores.Instances > 0);
        Assert.Equal(scores with { Intervals = null }, trained.Scores with { Intervals = null });
        Assert.Equal(scores.Intervals, trained.Scores.Intervals);
        using var json = System.Text.Json.JsonDocument.Parse(
            File.ReadAllText(Path.Combine(run.RunDirectory, RunFiles.MetricsFile))
        );
        Assert.Equal(
            scores.InstanceAuroc,
            json.RootElement.GetProperty("localization").GetProperty("scores").GetProperty("instance_auroc").GetDouble()
        );
        // report.html shows the same figure with the same interval (resampling the same patients).
        string cell = Maps.Metrics.Bootstrap.WithInterval(scores.InstanceAuroc, scores.Intervals!["instance_auroc"]);
        Assert.Contains($"<td>{cell}</td>", File.ReadAllText(Path.Combine(run.RunDirectory, "report.html")));
    }
}
