using System.Text.Json;
using Amil.MLNet.Transforms.Encoders;
using Amil.MLNet.Transforms.Encoders.Quantization;
using Amil.MLNet.Transforms.Features;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>int8 copies of ONNX encoders: the model file is edited without losing a byte it does not change, the
/// small ViT's int8 features stay within cosine 0.99 of PyTorch's float ones, the copy is an encoder of its own, and
/// what cannot be quantized is refused with the reason.</summary>
public sealed class EncoderQuantizationTests
{
    private static string Committed(string file) =>
        Path.Combine(Programs.RepoRoot(), "tests", "Amil.MLNet.Tests", "Encoders", file);

    [Theory]
    [InlineData("tiny_vit.onnx")]
    [InlineData("tiny_cnn.onnx")]
    public void AnOnnxFileReadAndWrittenBackIsByteIdentical(string file)
    {
        var bytes = File.ReadAllBytes(Committed(file));
        Assert.Equal(bytes, ProtoMessage.Parse(bytes).ToBytes());
    }

    [Fact]
    public void ColumnsAreQuantizedSymmetricallyEachWithItsOwnScale()
    {
        // 2 × 3, columns with largest magnitudes 2, 0.5 and 0.
        float[] w = [2f, -0.25f, 0f, -1f, 0.5f, 0f];
        var (q, scales) = Int8Quantizer.QuantizeColumns(w, 2, 3);
        Assert.Equal([2f / 127, 0.5f / 127, 1f], scales);
        Assert.Equal(new sbyte[] { 127, -64, 0, -64, 127, 0 }, q);
    }

    [Theory]
    [InlineData("tiny_vit.json", "tiny_vit")]
    [InlineData("tiny_vit_external.onnx", "tiny_vit_external")] // its weights come from the .data file
    public void TheInt8SmallVitFollowsPyTorchsFloatFeatures(string source, string reference)
    {
        var folder = TestTemp.Folder("amil-int8-").FullName;
        var report = EncoderQuantization.Quantize(Committed(source), folder);

        Assert.Equal(6, report.Summary.Quantized); // the qkv and MLP products; the 48 × 48 ones are too small
        Assert.InRange(report.MinimumCosine, 0.99, 1.0);
        // One self-contained file: moved away from everything else, it still loads.
        var moved = TestTemp.Folder("amil-int8-moved-").FullName;
        foreach (var file in Directory.GetFiles(folder))
            File.Copy(file, Path.Combine(moved, Path.GetFileName(file)));
        var manifest = Path.Combine(moved, Path.GetFileName(report.Manifest));
        var extractor = PatchFeatureExtractor.Get(manifest);
        Assert.EndsWith("-int8", extractor.Manifest.Name);
        Assert.NotEqual(PatchEncoders.Identity(Committed(source)), PatchEncoders.Identity(manifest));

        var features = extractor.Extract(EncoderCheck.FixedPatches(3, 112), EncoderCheck.Layout(3, 112), 1f, 2);
        var expected = PyTorchFeatures(reference);
        int d = extractor.FeatureSize;
        for (int k = 0; k < 3; k++)
        {
            double cosine = EncoderQuantization.Cosine(
                features.AsSpan(k * d, d),
                [.. expected[k].Select(v => (float)v)]
            );
            Assert.True(cosine >= 0.99, $"patch {k}: cosine {cosine:F5} to PyTorch's float features");
        }
        var model = ProtoMessage.Parse(File.ReadAllBytes(Path.Combine(moved, extractor.Manifest.File)));
        var ops = model
            .First(OnnxFields.ModelGraph)!
            .Message.All(OnnxFields.GraphNode)
            .Select(n => n.Message.Text(OnnxFields.NodeOpType))
            .ToList();
        Assert.Equal(6, ops.Count(op => op == "MatMulInteger"));
        Assert.Equal(6, ops.Count(op => op == "DynamicQuantizeLinear")); // each of the six reads its own input
    }

    [Fact]
    public void WhatCannotBeQuantizedIsRefusedWithTheReason()
    {
        var folder = TestTemp.Folder("amil-int8-refused-").FullName;
        var cnn = Assert.Throws<InvalidDataException>(() =>
            EncoderQuantization.Quantize(Committed("tiny_cnn.json"), folder)
        );
        Assert.Contains("nothing to quantize (convolutions stay float)", cnn.Message);
        var builtIn = Assert.Throws<ArgumentException>(() => EncoderQuantization.Quantize("resnet18", folder));
        Assert.Contains("convolutions only", builtIn.Message);
        Assert.Empty(Directory.GetFiles(folder));
    }

    [Fact]
    public void TheCliWritesTheCopyAndPrintsTheAgreement()
    {
        var folder = TestTemp.Folder("amil-int8-cli-").FullName;
        var (exit, stdout, stderr) = Programs.Amil("encoders", "quantize", Committed("tiny_vit.json"), "--out", folder);
        Assert.True(exit == 0, stderr);
        Assert.Contains("6 matrix products int8", stdout);
        Assert.Contains("agreement with the original on 32 fixed patches: cosine min", stdout);
        Assert.True(File.Exists(Path.Combine(folder, "tiny-vit-int8.json")));

        var (refused, _, error) = Programs.Amil("encoders", "quantize", "resnet18", "--out", folder);
        Assert.Equal(1, refused);
        Assert.Contains("convolutions only", error);
    }

    private static List<double[]> PyTorchFeatures(string name)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Committed("reference.json")));
        return json
            .RootElement.GetProperty("features")
            .GetProperty(name)
            .EnumerateArray()
            .Select(row => row.EnumerateArray().Select(v => v.GetDouble()).ToArray())
            .ToList();
    }
}
