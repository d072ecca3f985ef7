using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Stain;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>`train --augment`: each training slide is encoded again per recoloured copy (cached beside the slide as
/// scanned) and the head trains on both; validation and test slides are not recoloured.</summary>
public sealed class SlideAugmentationTests
{
    [Fact]
    public void AugmentationSettingsWithoutAugmentationAreRefused()
    {
        var (exit, _, stderr) = Programs.Amil("train", "--augment-copies", "3");
        Assert.Equal(1, exit);
        Assert.Contains("--augment-copies applies with --augment hed or hsv", stderr);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void TrainingAddsARecolouredBagOfEachTrainingSlide()
    {
        var root = TestTemp.Folder("augment-data").FullName;
        SyntheticSlides.Generate(root, new SyntheticSlideOptions(6, 4) { Width = 1024, Height = 768 });
        string run = Path.Combine(TestTemp.Folder("augment-run").FullName, "run"),
            cache = Path.Combine(root, "cache");
        var (exit, stdout, stderr) = Programs.TrainSlides(
            root,
            cache,
            run,
            "--augment",
            "hed",
            "--augment-copies",
            "1"
        );
        Assert.True(exit == 0, stderr + stdout);
        using var split = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "split.json")));
        var train = split
            .RootElement.GetProperty("train")
            .EnumerateArray()
            .Select(e => Path.Combine(root, e.GetProperty("path").GetString()!))
            .ToList();
        Assert.Equal(train.Count, stdout.Split('\n').Count(l => l.Contains("recoloured (hed 0.05 #1)")));
        Assert.Contains($"1 recoloured copy of each of the {train.Count} training slides (HED, σ 0.05)", stdout);
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        var block = config.RootElement.GetProperty("tiling").GetProperty("augmentation");
        Assert.Equal(("hed", 1), (block.GetProperty("method").GetString(), block.GetProperty("copies").GetInt32()));

        // The copy is its own cache entry: the same tiles, other features.
        var tiles = new SlideFeatureCache(cache, new TilingSettings { Magnification = 20 });
        var copy = new ColourAugmentation(ColourAugmentationMethod.Hed, 0.05, 1);
        var scanned = tiles.Get(train[0]);
        var recoloured = tiles.Get(train[0], augmentation: copy);
        Assert.True(scanned.Hit && recoloured.Hit);
        Assert.Equal(scanned.Bag.Tiles.Select(t => (t.X, t.Y)), recoloured.Bag.Tiles.Select(t => (t.X, t.Y)));
        Assert.NotEqual(scanned.Bag.Features, recoloured.Bag.Features);

        var images = new Application.TrainSettings { Augmentation = ColourAugmentationMethod.Hed };
        var refused = Assert.Throws<ArgumentException>(() => images.RefuseTilingOnImages("breakhis"));
        Assert.Contains("colour augmentation is built for whole-slide datasets", refused.Message);
    }
}
