using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Application;
using Amil.MLNet.Application.Features;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>ResNet18 features, the feature cache and the features-mode trainer.</summary>
public class FeatureTests
{
    private static readonly Lazy<(string Root, IReadOnlyList<string> Files)> Data = new(() =>
    {
        var root = TestTemp.Folder("amil-feat-").FullName;
        return (
            root,
            SyntheticHistology.Generate(
                root,
                new SyntheticOptions(SyntheticKind.BreakHis, 16, 6) { ImagesPerPatient = 2 }
            )
        );
    });

    private static PatchBaggingOptions Bagging(int patch = 112) =>
        new()
        {
            CropHeight = 224,
            CropWidth = 224,
            PatchSize = patch,
            Stride = patch,
        };

    /// <summary>ONNX Runtime's kernels checked like libtorch's: the shared extractor (optimised graph, every core)
    /// gives the same features bit for bit however often it runs, and those of an unoptimised one-thread
    /// session within float rounding.</summary>
    [Fact]
    public void ResNet18FeaturesRepeatBitForBitAndMatchAnUnoptimisedSession()
    {
        var bags = Data
            .Value.Files.Take(3)
            .Select(f => PatchCutter.Cut(RgbImageReader.Read(Path.Combine(Data.Value.Root, f)), Bagging()))
            .ToList();
        var extractor = PatchFeatureExtractor.Get();
        var first = bags.Select(b => extractor.Extract(b.Pixels, b.Layout)).ToList();
        for (int repeat = 0; repeat < 5; repeat++)
        for (int b = 0; b < bags.Count; b++)
            Assert.Equal(first[b], extractor.Extract(bags[b].Pixels, bags[b].Layout));
        var reference = PatchFeatureExtractor.CreateReference();
        for (int b = 0; b < bags.Count; b++)
        {
            var expected = reference.Extract(bags[b].Pixels, bags[b].Layout);
            float scale = expected.Max();
            Assert.All(first[b], v => Assert.True(float.IsFinite(v)));
            double worst = first[b].Zip(expected).Max(p => Math.Abs(p.First - p.Second)) / scale;
            Assert.True(worst < 1e-4, $"bag {b}: features differ from the unoptimised session by {worst:G2} of scale");
        }
    }

    [Fact]
    public void ExtractorGives512FeaturesPerPatchDeterministicallyBatchedOrNot()
    {
        var image = Path.Combine(Data.Value.Root, Data.Value.Files[0]);
        var bag = PatchCutter.Cut(RgbImageReader.Read(image), Bagging());
        var extractor = PatchFeatureExtractor.Get();
        var batched = extractor.Extract(bag.Pixels, bag.Layout, batchSize: 16);
        var single = extractor.Extract(bag.Pixels, bag.Layout, batchSize: 1);
        Assert.Equal(4 * 512, batched.Length);
        Assert.Equal(batched, extractor.Extract(bag.Pixels, bag.Layout, batchSize: 16)); // same input, same features
        for (int i = 0; i < batched.Length; i++)
            Assert.Equal(batched[i], single[i], 3); // batching changes nothing but speed
        Assert.Contains(batched, v => v > 0);
        Assert.All(batched, v => Assert.True(float.IsFinite(v) && v >= 0)); // post-ReLU average pooling
        // Different patches give different features.
        Assert.NotEqual(batched.AsSpan(0, 512).ToArray(), batched.AsSpan(512, 512).ToArray());
    }

    [Fact]
    public void CacheHitsMissesRecomputesStaleEntriesAndIgnoresInterruptedWrites()
    {
        var folder = TestTemp.Folder("amil-cache-").FullName;
        var image = Path.Combine(TestTemp.Folder("amil-cache-img-").FullName, "x.png");
        File.Copy(Path.Combine(Data.Value.Root, Data.Value.Files[1]), image);
        var cache = new FeatureCache(folder, Bagging(), new PatchFeatureOptions());

        var first = cache.Get(image, out bool hit);
        Assert.False(hit);
        var again = cache.Get(image, out hit);
        Assert.True(hit);
        Assert.Equal(first.Features, again.Features);
        Assert.Equal(first.Layout, again.Layout);

        // Other patch settings: another entry.
        new FeatureCache(folder, Bagging(224), new PatchFeatureOptions()).Get(image, out hit);
        Assert.False(hit);

        // A truncated (stale) entry is recomputed, not trusted.
        var entry = cache.EntryPath(image);
        File.WriteAllBytes(entry, File.ReadAllBytes(entry)[..100]);
        Assert.Equal(first.Features, cache.Get(image, out hit).Features);
        Assert.False(hit);

        // An interrupted write leaves only a temp file beside; the entry itself is complete or absent.
        File.WriteAllBytes(entry + ".tmp-12345-1", [1, 2, 3]);
        cache.Get(image, out hit);
        Assert.True(hit);

        // A changed image gets a new key: its old features are never reused.
        File.Copy(Path.Combine(Data.Value.Root, Data.Value.Files[2]), image, overwrite: true);
        Assert.NotEqual(entry, cache.EntryPath(image));
        cache.Get(image, out hit);
        Assert.False(hit);
    }

    [Fact]
    public void ShardsSplitTheImagesWithoutOverlap()
    {
        Assert.Equal((1, 4), FeatureExtraction.ParseShard("2/4"));
        Assert.Throws<ArgumentException>(() => FeatureExtraction.ParseShard("5/4"));
        var folder = TestTemp.Folder("amil-shard-").FullName;
        var cache = new FeatureCache(folder, Bagging(224), new PatchFeatureOptions());
        var images = Data.Value.Files.Take(6).Select(f => Path.Combine(Data.Value.Root, f)).ToList();
        var a = FeatureExtraction.Fill(images, FeatureExtraction.Images(cache), (0, 2), null);
        var b = FeatureExtraction.Fill(images, FeatureExtraction.Images(cache), (1, 2), null);
        Assert.Equal((3, 3, 0), (a.Images, a.Computed, a.Hits));
        Assert.Equal((3, 3, 0), (b.Images, b.Computed, b.Hits));
        var all = FeatureExtraction.Fill(images, FeatureExtraction.Images(cache), (0, 1), null);
        Assert.Equal(6, all.Hits);
    }

    [Fact]
    public void AutoShardsComeFromSlurmOrKubernetes()
    {
        Func<string, string?> Env(params (string, string)[] values) =>
            name => values.FirstOrDefault(v => v.Item1 == name).Item2;
        var slurm = Env(("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", "4"));
        Assert.Equal((2, 4), FeatureExtraction.ParseShard("auto", slurm));
        Assert.Equal((0, 2), FeatureExtraction.ShardFromEnvironment(Env(("SLURM_ARRAY_TASK_ID", "0")), 2));
        Assert.Equal((2, 3), FeatureExtraction.ShardFromEnvironment(Env(("JOB_COMPLETION_INDEX", "2")), 3));
        string Error(Func<string, string?> env, int? count) =>
            Assert.Throws<ArgumentException>(() => FeatureExtraction.ShardFromEnvironment(env, count)).Message;
        Assert.Contains("--shard-count", Error(Env(("JOB_COMPLETION_INDEX", "2")), null));
        Assert.Contains("below the count", Error(Env(("JOB_COMPLETION_INDEX", "3")), 3));
        Assert.Contains("SLURM_ARRAY_TASK_ID", Error(Env(), 3));
        Assert.Contains("not a whole number", Error(Env(("SLURM_ARRAY_TASK_ID", "x")), 3));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task ThreeShardProcessesAtOnceFillOneCacheEachImageOnce()
    {
        var cache = TestTemp.Folder("amil-shared-cache-").FullName;
        var runs = Enumerable
            .Range(1, 3)
            .Select(task =>
                Task.Run(() =>
                    Programs.Amil(
                        new Dictionary<string, string>
                        {
                            ["SLURM_ARRAY_TASK_ID"] = task.ToString(System.Globalization.CultureInfo.InvariantCulture),
                            ["SLURM_ARRAY_TASK_MIN"] = "1",
                            ["SLURM_ARRAY_TASK_COUNT"] = "3",
                        },
                        "features",
                        "--data",
                        Data.Value.Root,
                        "--layout",
                        "breakhis",
                        "--crop",
                        "224x224",
                        "--patch-size",
                        "112",
                        "--out",
                        cache,
                        "--shard",
                        "auto"
                    )
                )
            )
            .ToArray();
        var results = await Task.WhenAll(runs);
        var computed = results
            .Select(r =>
            {
                Assert.True(r.Exit == 0, r.Stderr);
                var match = System.Text.RegularExpressions.Regex.Match(r.Stdout, @"(\d+) computed");
                Assert.True(match.Success, r.Stdout);
                return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            })
            .ToList();
        Assert.Equal(Data.Value.Files.Count, computed.Sum()); // every image once, by exactly one shard
        Assert.All(computed, c => Assert.InRange(c, 5, 6));
        var files = Directory.EnumerateFiles(cache, "*", SearchOption.AllDirectories).ToList();
        Assert.Equal(Data.Value.Files.Count, files.Count); // no temporary file left behind
        var reader = new FeatureCache(cache, Bagging(112), new PatchFeatureOptions());
        foreach (var file in Data.Value.Files)
        {
            reader.Get(Path.Combine(Data.Value.Root, file), out bool hit);
            Assert.True(hit, $"{file}: no readable cache entry");
        }
    }

    [Fact]
    public void FeatureModeTrainerLearnsAndTheSavedModelScoresImages()
    {
        var run = Path.Combine(TestTemp.Folder("amil-feat-run-").FullName, "run");
        var result = TrainJob.Run(
            new TrainSettings
            {
                Dataset = new DatasetSelection(DataDirectory: Data.Value.Root, Layout: "breakhis"),
                OutDirectory = run,
                Epochs = 6,
                Crop = "224x448",
                PatchSize = 112,
                Network = Trainers.Networks.NetworkArchitecture.FeatureAttentionMil,
                FeatureCacheFolder = Path.Combine(run, "..", "cache"),
            },
            _ => { }
        );
        var history = File.ReadAllLines(Path.Combine(run, "history.csv"))
            .Skip(1)
            .Select(l => double.Parse(l.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        Assert.True(history[^1] < history[0], $"training loss did not fall: {string.Join(", ", history)}");
        Assert.NotNull(result.Metrics.FeatureCache);
        var model = AmilModel.Load(Path.Combine(run, "model.zip"));
        var scored = model.Score([Path.Combine(Data.Value.Root, Data.Value.Files[0])]).Single();
        Assert.Equal(8, scored.Map.Length); // 2 × 4 patches of 112 px
        Assert.Equal(1.0, scored.Map.Sum(), 4); // attention over the patches
        Assert.Equal(1.0, scored.Probabilities.Sum(), 4);
    }
}
