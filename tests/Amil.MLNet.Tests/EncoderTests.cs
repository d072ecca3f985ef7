using System.Text.Json;
using System.Text.Json.Nodes;
using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Encoders;
using Amil.MLNet.Transforms.Features;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Encoders from ONNX files with a manifest: the small ViT and CNN written by Reference/make_encoders.py
/// give PyTorch's features; a manifest that disagrees with its file is refused naming the field; the cache and a
/// saved model follow the file's hash; a model trains and scores images and slides on the ViT from the CLI.</summary>
public sealed class EncoderTests
{
    private static string Committed(string file) => SmallEncoders.File(file);

    [Theory]
    [InlineData("tiny_vit", "tiny_vit.json")]
    [InlineData("tiny_vit_external", "tiny_vit_external.onnx")] // weights in tiny_vit_external.onnx.data
    [InlineData("tiny_cnn", "tiny_cnn.json")] // NHWC, exported for batch 1, resize 72 then centre crop 64
    public void TheSmallEncodersGivePyTorchsFeatures(string name, string reference)
    {
        var (expected, size) = SmallEncoders.PyTorch(name);
        var extractor = PatchFeatureExtractor.Get(Committed(reference));

        // Three patches in batches of two: a full batch and a partial one.
        var features = extractor.Extract(EncoderCheck.FixedPatches(3, size), EncoderCheck.Layout(3, size), 1f, 2);

        Assert.Equal(3 * extractor.FeatureSize, features.Length);
        for (int k = 0; k < 3; k++)
        for (int j = 0; j < extractor.FeatureSize; j++)
            Assert.True(
                Math.Abs(features[k * extractor.FeatureSize + j] - expected[k][j]) <= 1e-4,
                $"patch {k} feature {j}: {features[k * extractor.FeatureSize + j]} vs PyTorch {expected[k][j]}"
            );
    }

    [Fact]
    public void TheOptimisedSessionAgreesWithTheUnoptimisedOne()
    {
        var manifest = Committed("tiny_vit.json");
        var patches = EncoderCheck.FixedPatches(4, 112);
        var fast = PatchFeatureExtractor.Get(manifest).Extract(patches, EncoderCheck.Layout(4, 112), 1f, 4);
        var slow = PatchFeatureExtractor.CreateReference(manifest).Extract(patches, EncoderCheck.Layout(4, 112), 1f, 1);
        Assert.All(fast.Zip(slow), p => Assert.Equal(p.Second, p.First, 4));
    }

    [Theory]
    [InlineData("sha256", "\"0000000000000000000000000000000000000000000000000000000000000000\"", "SHA-256")]
    [InlineData("input_size", "96", "input")]
    [InlineData("layout", "\"nhwc\"", "input")]
    [InlineData("output", "\"logits\"", "\"logits\" is not in")]
    [InlineData("feature_size", "48", "pooling \"cls_mean\" with feature_size 48")]
    [InlineData("pooling", "\"swirl\"", "\"pooling\" must be")]
    [InlineData("file", "\"missing.onnx\"", "missing.onnx is missing")]
    [InlineData("mean", "[0.5]", "\"mean\" must be three")]
    public void AManifestThatDisagreesWithItsFileIsRefusedNamingWhatDiffers(string field, string value, string says)
    {
        var manifest = Copy("tiny_vit", m => m[field] = JsonNode.Parse(value));

        var error = Assert.ThrowsAny<Exception>(() =>
            PatchFeatureExtractor
                .Get(manifest)
                .Extract(EncoderCheck.FixedPatches(1, 112), EncoderCheck.Layout(1, 112), 1f, 1)
        );

        Assert.True(error is InvalidDataException or FileNotFoundException, error.ToString());
        Assert.Contains(says, error.Message);
        Assert.True(error.Message.Contains("'tiny-vit'") || error.Message.Contains(manifest), error.Message);
    }

    [Fact]
    public void AnUnknownEncoderNameSaysWhereItLooked()
    {
        var error = Assert.Throws<ArgumentException>(() => PatchEncoders.Manifest("no-such-encoder"));
        Assert.Contains("no-such-encoder.json", error.Message);
        Assert.Contains("$AMIL_ENCODERS", error.Message);
        var onnx = Assert.Throws<ArgumentException>(() => PatchEncoders.Manifest("/nowhere/model.onnx"));
        Assert.Contains("/nowhere/model.json", onnx.Message);
    }

    [Fact]
    public void TheCacheKeyFollowsTheFileAndAReplacedFileIsRefused()
    {
        var manifest = Copy("tiny_vit", _ => { });
        var bagging = new PatchBaggingOptions
        {
            PatchSize = 112,
            CropHeight = null,
            CropWidth = null,
        };
        var folder = TestTemp.Folder("encoder-cache").FullName;
        var image = Path.Combine(folder, "image.png");
        TestImages.WritePng(image, 224, 224, dark: true, seed: 3);
        string Entry() =>
            new FeatureCache(folder, bagging, new PatchFeatureOptions { Extractor = manifest }).EntryPath(image);
        string before = Entry();
        Assert.NotEqual(new FeatureCache(folder, bagging, new PatchFeatureOptions()).EntryPath(image), before);

        // Another file in place of the described one: refused until the manifest names the new hash.
        var onnx = Path.Combine(Path.GetDirectoryName(manifest)!, "tiny_vit.onnx");
        File.Copy(Committed("tiny_vit_external.onnx"), onnx, overwrite: true);
        var error = Assert.Throws<InvalidDataException>(Entry);
        Assert.Contains("is not the one the manifest describes", error.Message);
        Rewrite(manifest, m => m["sha256"] = FileHash.Sha256(onnx));
        Assert.NotEqual(before, Entry());
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void AModelTrainsAndScoresImagesAndSlidesOnTheViTFromTheCliAndRefusesAnotherEncoder()
    {
        var work = TestTemp.Folder("encoder-cli").FullName;
        var manifest = Copy("tiny_vit", _ => { });
        var cache = Path.Combine(work, "cache");

        // Images: 56 px images in 28 px patches, each resized to the ViT's 112.
        string images = TestImages.ImageFolder(Path.Combine(work, "images"), 56, 56, ("", 3));
        string imageRun = Path.Combine(work, "image-run");
        var (exit, _, stderr) = Programs.Amil([
            "train",
            "--data",
            images,
            "--layout",
            "image-folder",
            "--crop",
            "none",
            "--patch-size",
            "28",
            "--encoder",
            manifest,
            "--epochs",
            "1",
            "--out",
            imageRun,
            "--feature-cache",
            cache,
        ]);
        Assert.True(exit == 0, stderr);
        var config = File.ReadAllText(Path.Combine(imageRun, "config.json"));
        Assert.Contains("\"tiny-vit\"", config);
        Assert.Contains(FileHash.Sha256(Path.ChangeExtension(manifest, ".onnx")), config);
        var image = Directory.EnumerateFiles(images, "*.png", SearchOption.AllDirectories).First();
        (exit, _, stderr) = Programs.Predict(Path.Combine(imageRun, "model.zip"), image, Path.Combine(work, "p1"));
        Assert.True(exit == 0, stderr);

        // Slides: tiled at the ViT's 112 px and 1 µm/px, trained, then a slide scored.
        string slides = Path.Combine(work, "slides");
        SyntheticSlides.Generate(slides, new SyntheticSlideOptions(4, 5) { Width = 1024, Height = 768 });
        string slideRun = Path.Combine(work, "slide-run");
        (exit, _, stderr) = Programs.Amil([
            "train",
            "--data",
            slides,
            "--layout",
            "wsi",
            "--encoder",
            manifest,
            "--epochs",
            "1",
            "--out",
            slideRun,
            "--feature-cache",
            cache,
        ]);
        Assert.True(exit == 0, stderr);
        Assert.Contains("\"tile\": 112", File.ReadAllText(Path.Combine(slideRun, "config.json")));
        var slide = Directory.EnumerateFiles(Path.Combine(slides, "slides"), "*.svs").Order().First();
        string[] predictSlide = ["--feature-cache", cache];
        (exit, var stdout, stderr) = Programs.Predict(
            Path.Combine(slideRun, "model.zip"),
            slide,
            Path.Combine(work, "p2"),
            predictSlide
        );
        Assert.True(exit == 0, stderr + stdout);

        // The manifest now describes another file: the trained models refuse it, naming both hashes.
        var onnx = Path.ChangeExtension(manifest, ".onnx");
        File.Copy(Committed("tiny_cnn.onnx"), onnx, overwrite: true);
        Rewrite(manifest, m => m["sha256"] = FileHash.Sha256(onnx));
        (exit, _, stderr) = Programs.Predict(Path.Combine(imageRun, "model.zip"), image, Path.Combine(work, "p3"));
        Assert.Equal(1, exit);
        Assert.Contains("The model was trained on encoder 'tiny-vit'", stderr);
        (exit, _, stderr) = Programs.Predict(
            Path.Combine(slideRun, "model.zip"),
            slide,
            Path.Combine(work, "p4"),
            predictSlide
        );
        Assert.Equal(1, exit);
        Assert.Contains("The model was trained on encoder 'tiny-vit'", stderr);
    }

    [Fact]
    public void EncodersCheckPrintsTheEncoderAndExitsOneOnAMismatch()
    {
        var (exit, stdout, stderr) = Programs.Amil("encoders", "check", Committed("tiny_vit.json"), "--seconds", "0.2");
        Assert.True(exit == 0, stderr);
        Assert.Contains("Encoder 'tiny-vit': OK", stdout);
        Assert.Contains("cls_mean → 96 features per patch", stdout);
        Assert.Contains("tiles/s", stdout);

        var wrong = Copy("tiny_vit", m => m["input_size"] = 224);
        (exit, _, stderr) = Programs.Amil("encoders", "check", wrong, "--seconds", "0.2");
        Assert.Equal(1, exit);
        Assert.Contains("the manifest says nchw patches of 224 px", stderr);
    }

    /// <summary>A copy of a committed encoder (manifest, ONNX file and any external data) in a folder of its own,
    /// its manifest changed by <paramref name="change"/>; returns the manifest's path.</summary>
    private static string Copy(string name, Action<JsonObject> change)
    {
        var folder = TestTemp.Folder($"encoder-{name}").FullName;
        foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(Committed("x"))!, name + ".*"))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        var manifest = Path.Combine(folder, name + ".json");
        Rewrite(manifest, change);
        return manifest;
    }

    private static void Rewrite(string manifest, Action<JsonObject> change)
    {
        var json = JsonNode.Parse(File.ReadAllText(manifest))!.AsObject();
        change(json);
        File.WriteAllText(manifest, json.ToJsonString());
    }
}
