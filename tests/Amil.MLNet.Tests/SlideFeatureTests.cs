using System.Globalization;
using Amil.MLNet.Application;
using Amil.MLNet.Application.Features;
using Amil.MLNet.Application.Jobs;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Slides;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>The wsi layout and per-slide features: streamed, cached, resumable.</summary>
public class SlideFeatureTests
{
    private static readonly Lazy<string> Slides = new(() =>
    {
        var root = TestTemp.Folder("wsi-features").FullName;
        SyntheticSlides.Generate(root, new SyntheticSlideOptions(3, 5) { Width = 1024, Height = 768 });
        return root;
    });

    private static readonly TilingSettings LevelZero = new() { TileSize = 112 };

    [Fact]
    public void SlideFeaturesAreComputedOnceThenReadBack()
    {
        var cache = new SlideFeatureCache(TestTemp.Folder("slide-cache").FullName, LevelZero);
        var slide = Path.Combine(Slides.Value, "slides", "tumor_002.svs");
        var first = cache.Get(slide);
        Assert.False(first.Hit);
        Assert.InRange(first.Bag.Tiles.Count, 5, 60);
        Assert.Equal(512, first.Bag.FeatureSize);
        Assert.All(first.Bag.Features, f => Assert.True(float.IsFinite(f)));
        Assert.All(first.Bag.Tiles, t => Assert.Equal((0, 0, 112), (t.X % 112, t.Y % 112, t.Side)));
        var second = cache.Get(slide);
        Assert.True(second.Hit);
        Assert.Equal(first.Bag.Features, second.Bag.Features);
        Assert.Equal(first.Bag.Tiles.Select(t => (t.X, t.Y, t.Side)), second.Bag.Tiles.Select(t => (t.X, t.Y, t.Side)));
        // Other settings, another entry.
        var coarser = new SlideFeatureCache(cache.Folder, LevelZero with { MinimumTissue = 0.9 });
        Assert.NotEqual(cache.EntryPath(slide), coarser.EntryPath(slide));
    }

    [Fact]
    public void AnExtractionKilledMidSlideLeavesNoEntryAndARerunFinishesIt()
    {
        var folder = TestTemp.Folder("slide-resume").FullName;
        var cache = new SlideFeatureCache(folder, LevelZero);
        var slide = Path.Combine(Slides.Value, "slides", "tumor_002.svs");
        using var stop = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => cache.Get(slide, (done, _) => stop.Cancel(), stop.Token));
        Assert.Empty(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories));
        Assert.False(cache.Get(slide).Hit);
        Assert.True(cache.Get(slide).Hit);
    }

    [Fact]
    public void TheFeaturesJobEncodesEverySlideOfAWsiDatasetAndSkipsFinishedOnes()
    {
        var cacheFolder = TestTemp.Folder("slide-job").FullName;
        var settings = new TrainSettings { Dataset = new DatasetSelection(DataDirectory: Slides.Value, Layout: "wsi") };
        var first = FeaturesJob.Run(settings, cacheFolder, (0, 1), _ => { }, CancellationToken.None);
        Assert.Equal((3, 3, 0, true), (first.Images, first.Computed, first.Hits, first.Slides));
        Assert.True(first.Patches > 0);
        var again = FeaturesJob.Run(settings, cacheFolder, (0, 1), _ => { }, CancellationToken.None);
        Assert.Equal((3, 0, 3), (again.Images, again.Computed, again.Hits));
    }

    [Fact]
    public void TheWsiLayoutReadsTheListOrClassFoldersAndSaysWhatIsMissing()
    {
        var entry = new DatasetEntry
        {
            Name = "w",
            Layout = "wsi",
            Root = Slides.Value,
        };
        var records = SlideLayout.Read(Slides.Value, entry);
        Assert.Equal(["normal", "tumor", "normal"], records.Select(r => r.Label));
        Assert.Equal(Path.Combine(Slides.Value, "masks", "tumor_002.png"), records[1].MaskPath);

        var folders = TestTemp.Folder("wsi-folders").FullName;
        Directory.CreateDirectory(Path.Combine(folders, "tumor"));
        File.Copy(Path.Combine(Slides.Value, "slides", "tumor_002.svs"), Path.Combine(folders, "tumor", "a.svs"));
        Assert.Equal("tumor", Assert.Single(SlideLayout.Read(folders, entry)).Label);

        var broken = TestTemp.Folder("wsi-broken").FullName;
        File.WriteAllText(Path.Combine(broken, "slides.csv"), "slide_id,label\nmissing_1,tumor\n");
        var e = Assert.Throws<DatasetException>(() => SlideLayout.Read(broken, entry));
        Assert.Contains("line 2", e.Message);
        Assert.Contains("missing_1", e.Message);

        // Image commands say what slides can do today instead of decoding slides as images.
        var images = Assert.Throws<DatasetException>(() => DatasetReader.Read(entry, Slides.Value));
        Assert.Contains("whole slides", images.Message);
    }
}

/// <summary>Slide-level A-MIL end to end on tiny generated slides: train, score the test slides, measure and draw
/// their maps.</summary>
public class SlideTrainingTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public void TrainOnSlidesWritesTheModelMetricsLocalizationAndHeatmaps()
    {
        var root = TestTemp.Folder("wsi-train").FullName;
        SyntheticSlides.Generate(root, new SyntheticSlideOptions(8, 2) { Width = 1536, Height = 1024 });
        var run = Path.Combine(TestTemp.Folder("wsi-run").FullName, "run");
        var settings = new TrainSettings
        {
            Dataset = new DatasetSelection(DataDirectory: root, Layout: "wsi"),
            OutDirectory = run,
            Epochs = 3,
            Network = Trainers.Networks.NetworkArchitecture.FeatureAttentionMil,
            FeatureCacheFolder = Path.Combine(run, "..", "cache"),
        };
        var result = TrainJob.Run(settings, _ => { });

        Assert.Equal(run, result.RunDirectory);
        foreach (var file in new[] { "model.zip", "metrics.json", "history.csv", "split.json", "config.json" })
            Assert.True(File.Exists(Path.Combine(run, file)), file);
        Assert.Equal(["normal", "tumor"], result.Metrics.Classes);
        Assert.Equal(2, result.Metrics.Test!.Images);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run, "history.csv")).Length - 1);

        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "localization.json")));
        var report = json.RootElement;
        Assert.Equal(["tumor"], report.GetProperty("tumour_classes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(6, report.GetProperty("froc_rates").GetArrayLength());
        var methods = report.GetProperty("methods").EnumerateArray().ToList();
        Assert.Equal(2, methods.Count);
        Assert.All(methods, m => Assert.InRange(m.GetProperty("froc").GetDouble(), 0, 1));
        Assert.True(report.GetProperty("tumour_tiles").GetInt32() > 0);

        // One heatmap and one GeoJSON per test slide, one GeoJSON tile per bag tile.
        int tiles = 0;
        foreach (var geojson in Directory.EnumerateFiles(Path.Combine(run, "heatmaps"), "*.geojson"))
        {
            Assert.True(File.Exists(Path.ChangeExtension(geojson, ".png")));
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(geojson));
            tiles += doc.RootElement.GetProperty("features").GetArrayLength();
        }
        Assert.Equal(report.GetProperty("tiles").GetInt32(), tiles);

        // The image tools say what a slide-level model is instead of failing on a missing column.
        string model = Path.Combine(run, "model.zip");
        // One model type: the file says it scores slides; image tools say so instead of failing on a column.
        var loaded = Trainers.AmilModel.Load(model);
        Assert.Equal((Trainers.ModelInput.Slides, 2), (loaded.Input, loaded.ClassNames.Count));
        var asImages = Assert.Throws<ArgumentException>(() => ModelFiles.Load(model, Trainers.ModelInput.Images));
        Assert.Contains("slide-level model", asImages.Message);
        // train wrote report.html from the run folder: metrics, confusion, FROC table, every test slide's heatmap.
        var html = File.ReadAllText(Path.Combine(run, RunReport.FileName));
        foreach (var part in new[] { "Metrics (slides)", "Confusion matrix", "FROC", "Test slides, worst first" })
            Assert.Contains(part, html);
        int heatmaps = Directory.EnumerateFiles(Path.Combine(run, "heatmaps"), "*.png").Count();
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(html, "<figure>").Count);
        Assert.Equal(heatmaps, System.Text.RegularExpressions.Regex.Matches(html, "data:image/jpeg").Count);
        // report --run draws it again from the files alone; a Grad-CAM comparison is for image runs.
        File.Delete(Path.Combine(run, RunReport.FileName));
        Assert.Equal(Path.Combine(run, RunReport.FileName), RunReport.Write(run, null, _ => { }));
        Assert.Contains("FROC", File.ReadAllText(Path.Combine(run, RunReport.FileName)));
        var gradCam = Assert.Throws<ArgumentException>(() => RunReport.Write(run, model, _ => { }));
        Assert.Contains("slide-level run", gradCam.Message);

        // evaluate, localize and heatmap score the slides again from the model file and the feature cache, and find
        // what training found.
        var tools = TestTemp.Folder("wsi-tools").FullName;
        var evaluated = EvaluateJob.Run(
            model,
            settings.Dataset,
            Path.Combine(tools, "eval"),
            _ => { },
            new() { Localization = true, Scoring = new ScoringOptions(FeatureCache: settings.FeatureCacheFolder) }
        )!;
        // The trained head in memory and the model file score alike (to float rounding: the file's stages).
        Assert.Equal(result.Metrics.Test.LogLoss, evaluated.Test!.LogLoss, 6);
        Assert.Equal(result.Metrics.Test.Accuracy, evaluated.Test.Accuracy);
        Assert.True(File.Exists(Path.Combine(tools, "eval", "localization.json")));

        var compared = SlideScoring.Localize(
            [$"a={model}", $"b={model}"],
            SlideLayoutEntry(root),
            root,
            Path.Combine(tools, "localize"),
            false,
            new ScoringOptions(FeatureCache: settings.FeatureCacheFolder),
            _ => { }
        )!;
        Assert.Equal(["a", "a", "b", "b"], compared.Methods.Select(m => m.Model));
        // Several slide models are compared on the same slides as image models are: a model against itself differs
        // by nothing, with a paired interval of nothing (and DeLong's p of 1 where each class has two test slides).
        var pair = Assert.Single(compared.Comparisons);
        Assert.Equal(("b", "a", 0.0), (pair.Model, pair.Against, pair.AccuracyDifference));
        Assert.Equal([0.0, 0.0], pair.AccuracyDifferenceInterval!);
        Assert.True(pair.DeLongP is null or 1.0, $"DeLong p {pair.DeLongP}");
        Assert.Contains("## Paired comparisons", File.ReadAllText(Path.Combine(tools, "localize", "localization.md")));
        // The CLI's one entry decides by the dataset: on slides every map × p is reported already.
        var weighted = Assert.Throws<ArgumentException>(() =>
            LocalizeJob.Compare(
                [model],
                null,
                settings.Dataset,
                Path.Combine(tools, "weighted"),
                Maps.Heatmaps.MapNormalization.None,
                false,
                _ => { },
                ["tumor"],
                null,
                new ScoringOptions(FeatureCache: settings.FeatureCacheFolder)
            )
        );
        Assert.Contains("On slides", weighted.Message);
        var trained = methods.Select(m => m.GetProperty("instance_auroc").GetDouble()).ToList();
        Assert.Equal([.. trained, .. trained], compared.Methods.Select(m => m.InstanceAuroc!.Value));
        Assert.All(compared.Methods, m => Assert.Equal(result.Metrics.Test.Accuracy, m.SlideAccuracy!.Value, 4));
        Assert.Contains("| a | attention |", File.ReadAllText(Path.Combine(tools, "localize", "localization.md")));
        Assert.Equal(
            compared.Slides,
            Directory.EnumerateFiles(Path.Combine(tools, "localize", "heatmaps", "b"), "*.geojson").Count()
        );

        var drawn = SlideScoring.Heatmap(
            loaded,
            model,
            Path.Combine(root, "slides"),
            Path.Combine(tools, "heatmap"),
            ["tumor"],
            new ScoringOptions(FeatureCache: settings.FeatureCacheFolder),
            _ => { }
        )!;
        Assert.Equal(8, drawn.Count);
        using (
            var geojson = System.Text.Json.JsonDocument.Parse(
                File.ReadAllText(Path.Combine(tools, "heatmap", "tumor_002.geojson"))
            )
        )
        {
            var measurements = geojson
                .RootElement.GetProperty("features")[0]
                .GetProperty("properties")
                .GetProperty("measurements");
            Assert.True(measurements.TryGetProperty("attention × p(tumor)", out _));
            Assert.True(measurements.TryGetProperty("attention × p(normal)", out _));
        }
        Assert.True(File.Exists(Path.Combine(tools, "heatmap", "normal_001.png")));

        // predict: per slide the class, probabilities and the map over its tiles at level 0.
        var predictions = PredictJob.Run(
            model,
            Path.Combine(root, "slides", "tumor_002.svs"),
            Path.Combine(tools, "predict"),
            _ => { },
            new() { Scoring = new ScoringOptions(FeatureCache: settings.FeatureCacheFolder) }
        );
        var prediction = Assert.Single(predictions);
        Assert.Equal(drawn.Single(s => s.Path.EndsWith("tumor_002.svs")).Map.Length, prediction.Patches.Count);
        Assert.All(prediction.Patches, p => Assert.Equal(224, p.Width));
        Assert.Equal(1f, prediction.Probabilities.Values.Sum(), 4);
        Assert.True(File.Exists(Path.Combine(tools, "predict", "predictions.json")));
        var unknown = Assert.Throws<ArgumentException>(() =>
            SlideScoring.Heatmap(
                loaded,
                model,
                root,
                Path.Combine(tools, "x"),
                ["benign"],
                new ScoringOptions(FeatureCache: settings.FeatureCacheFolder),
                _ => { }
            )
        );
        Assert.Contains("'benign'", unknown.Message);

        // amil view on the slide run: the test slides, their own pyramid as Deep Zoom tiles, the tissue outline.
        ViewSlideRun(run, root);

        var images = Assert.Throws<DatasetException>(() =>
            TrainJob.Run(
                settings with
                {
                    OutDirectory = run + "-lenet",
                    Network = Trainers.Networks.NetworkArchitecture.AttentionMil,
                },
                _ => { }
            )
        );
        Assert.Contains("--encoder resnet18", images.Message);
    }

    private static void ViewSlideRun(string run, string root)
    {
        var server = Viewer
            .ViewerServer.StartAsync(new Viewer.ViewRequest(run), new Viewer.ViewerOptions(), _ => { })
            .GetAwaiter()
            .GetResult();
        try
        {
            using var http = new HttpClient { BaseAddress = server.Address };
            using var json = System.Text.Json.JsonDocument.Parse(http.GetStringAsync("api/run").Result);
            var items = json.RootElement.GetProperty("items").EnumerateArray().ToList();
            Assert.Equal(2, items.Count);
            Assert.All(items, i => Assert.Equal("slide", i.GetProperty("kind").GetString()));
            var layers = json
                .RootElement.GetProperty("layers")
                .EnumerateArray()
                .Select(l => l.GetProperty("id").GetString());
            Assert.Contains("tissue", layers);
            using var item = System.Text.Json.JsonDocument.Parse(http.GetStringAsync("api/items/0").Result);
            string path = item.RootElement.GetProperty("name").GetString()!;
            int max = item.RootElement.GetProperty("max_level").GetInt32();
            using var slide = Slides.SlideImage.Open(Path.Combine(root, "slides", path));
            Assert.Equal(slide.Width, item.RootElement.GetProperty("width").GetInt32());
            // A full-resolution tile is the slide's own level-0 pixels (through JPEG).
            var file = Path.Combine(TestTemp.Folder("view-slide").FullName, "tile.jpg");
            File.WriteAllBytes(file, http.GetByteArrayAsync($"dzi/0_files/{max}/1_1.jpg").Result);
            var tile = Transforms.Images.RgbImageReader.Read(file);
            var region = slide.ReadRegion(0, 256, 256, tile.Width, tile.Height);
            double difference = 0;
            for (int i = 0; i < region.Pixels.Length; i++)
                difference += Math.Abs(region.Pixels[i] - tile.Pixels[i]);
            Assert.InRange(difference / region.Pixels.Length, 0, 8);
            Assert.Equal(
                System.Net.HttpStatusCode.OK,
                http.GetAsync($"overlay/0/tissue/{max - 3}/0_0.png").Result.StatusCode
            );
            Assert.Contains("quality", layers);
            Assert.Equal(
                System.Net.HttpStatusCode.OK,
                http.GetAsync($"overlay/0/quality/{max - 3}/0_0.png").Result.StatusCode
            );
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static DatasetEntry SlideLayoutEntry(string root) =>
        new DatasetSelection(DataDirectory: root, Layout: "wsi").Resolve().Entry;

    [SkippableFact]
    [Trait("Category", "Slow")]
    public async Task TheViewerOpensASlideRunInChromium()
    {
        ViewerBrowserTests.SkipWithoutBrowser();
        var root = TestTemp.Folder("wsi-view").FullName;
        SyntheticSlides.Generate(root, new SyntheticSlideOptions(8, 2) { Width = 1536, Height = 1024 });
        var run = Path.Combine(TestTemp.Folder("wsi-view-run").FullName, "run");
        TrainJob.Run(
            new TrainSettings
            {
                Dataset = new DatasetSelection(DataDirectory: root, Layout: "wsi"),
                OutDirectory = run,
                Epochs = 3,
                Network = Trainers.Networks.NetworkArchitecture.FeatureAttentionMil,
                FeatureCacheFolder = Path.Combine(run, "..", "cache"),
            },
            _ => { }
        );
        await using var server = await Viewer.ViewerServer.StartAsync(
            new Viewer.ViewRequest(run),
            new Viewer.ViewerOptions(),
            _ => { }
        );
        await ViewerBrowserTests.OpenInChromium(server, "tumor");
    }

    [Fact]
    public void AnInterruptedSlideTrainingResumesToTheSameModel()
    {
        var root = TestTemp.Folder("wsi-resume").FullName;
        SyntheticSlides.Generate(root, new SyntheticSlideOptions(6, 2) { Width = 1024, Height = 768 });
        var work = TestTemp.Folder("wsi-resume-runs").FullName;
        TrainSettings Settings(string name, Action<int, int, bool>? onBag = null) =>
            new()
            {
                Dataset = new DatasetSelection(DataDirectory: root, Layout: "wsi"),
                OutDirectory = Path.Combine(work, name),
                Epochs = 3,
                Network = Trainers.Networks.NetworkArchitecture.FeatureAttentionMil,
                FeatureCacheFolder = Path.Combine(work, "cache"),
                OnBag = onBag,
            };
        var straight = TrainJob.Run(Settings("straight"), _ => { });

        using var stop = new CancellationTokenSource();
        int trainBags = 0;
        var interrupted = Settings(
            "interrupted",
            (done, total, training) =>
            {
                if (training && ++trainBags == total + 1)
                    stop.Cancel();
            }
        );
        var e = Assert.Throws<TrainingInterruptedException>(() => TrainJob.Run(interrupted, _ => { }, stop.Token));
        Assert.Contains("--resume", e.Message);
        var runDir = interrupted.OutDirectory!;
        Assert.True(File.Exists(Path.Combine(runDir, RunFiles.CheckpointFile)));
        Assert.False(File.Exists(Path.Combine(runDir, RunFiles.ModelFile)));

        var resumed = TrainJob.Run(new TrainSettings { Resume = runDir }, _ => { });
        // Not bit for bit, unlike image runs: on bags of hundreds of 512-feature tiles libtorch's CPU matrix products
        // differ in the last float bits from run to run (measured: log-loss 0.7044512 ± 1e-7, straight runs too).
        Assert.Equal(straight.Metrics.Test!.LogLoss, resumed.Metrics.Test!.LogLoss, 5);
        var expected = History(straight.RunDirectory);
        var actual = History(runDir);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        for (int j = 0; j < expected[i].Length; j++)
            Assert.Equal(expected[i][j], actual[i][j], 4);
        Assert.False(File.Exists(Path.Combine(runDir, RunFiles.CheckpointFile)));
        Assert.Contains("Resuming", File.ReadAllText(Path.Combine(runDir, RunFiles.LogFile)));
        var again = Assert.Throws<ArgumentException>(() =>
            TrainJob.Run(new TrainSettings { Resume = runDir }, _ => { })
        );
        Assert.Contains("already finished", again.Message);

        // Epoch, losses and accuracies of each epoch (not the seconds).
        static double[][] History(string run) =>
            File.ReadAllLines(Path.Combine(run, RunFiles.HistoryFile))
                .Skip(1)
                .Select(line =>
                    line.Split(',').Take(5).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()
                )
                .ToArray();
    }

    [Fact]
    public void LesionsAreTheConnectedTumourRegionsOfAMask()
    {
        var pixels = new byte[6 * 4 * 3];
        void Tumour(int x, int y) => pixels.AsSpan((y * 6 + x) * 3, 3).Fill(255);
        Tumour(0, 0);
        Tumour(1, 1); // diagonal: the same lesion
        Tumour(4, 0);
        Tumour(4, 1);
        Tumour(5, 3);
        var labels = SlideLocalization.Lesions(new Transforms.Images.RgbImage(6, 4, pixels), out int count);
        Assert.Equal(3, count);
        Assert.Equal(labels[0], labels[1 * 6 + 1]);
        Assert.Equal(labels[4], labels[1 * 6 + 4]);
        Assert.NotEqual(labels[0], labels[4]);
        Assert.Null(labels[2]);
        Assert.Equal(2, labels[3 * 6 + 5]);
    }
}
