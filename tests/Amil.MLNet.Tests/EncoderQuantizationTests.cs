using Amil.MLNet.Transforms.Encoders;
using Amil.MLNet.Transforms.Encoders.Quantization;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Onnx;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>int8 copies of ONNX encoders: the model file is edited without losing a byte it does not change, the
/// small ViT's int8 features stay within cosine 0.99 of PyTorch's float ones, the copy is an encoder of its own, and
/// what cannot be quantized is refused with the reason.</summary>
public sealed class EncoderQuantizationTests
{
    private static string Committed(string file) => SmallEncoders.File(file);

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

        Assert.Equal(6, report.Summary.Products); // the qkv and MLP products; the 48 × 48 ones are too small
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
        var expected = SmallEncoders.PyTorch(reference).Features;
        int d = extractor.FeatureSize;
        for (int k = 0; k < 3; k++)
        {
            double cosine = EncoderQuantization.Cosine(
                features.AsSpan(k * d, d),
                [.. expected[k].Select(v => (float)v)]
            );
            Assert.True(cosine >= 0.99, $"patch {k}: cosine {cosine:F5} to PyTorch's float features");
        }
        var ops = Ops(Path.Combine(moved, extractor.Manifest.File));
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
        Assert.Contains("nothing to quantize (convolutions are quantized only with calibration images)", cnn.Message);
        var builtIn = Assert.Throws<ArgumentException>(() => EncoderQuantization.Quantize("resnet18", folder));
        Assert.Contains("convolutions only", builtIn.Message);
        var one = TestTemp.Folder("amil-int8-one-tile-").FullName;
        WriteTiles(one, 1, 80);
        var few = Assert.Throws<ArgumentException>(() => EncoderQuantization.Quantize("resnet18", folder, one));
        Assert.Contains("holds 1 image(s)", few.Message);
        var missing = Path.Combine(one, "absent");
        var none = Assert.Throws<ArgumentException>(() => EncoderQuantization.Quantize("resnet18", folder, missing));
        Assert.Contains("does not exist", none.Message);
        Assert.Empty(Directory.GetFiles(folder));
    }

    [Fact]
    public void CalibratedConvolutionsRunAsInt8AndFollowTheFloatFeatures()
    {
        var tiles = TestTemp.Folder("amil-int8-tiles-").FullName;
        WriteTiles(tiles, 16, 80);
        var folder = TestTemp.Folder("amil-int8-cnn-").FullName;

        var report = EncoderQuantization.Quantize(Committed("tiny_cnn.json"), folder, tiles);

        Assert.Equal(2, report.Summary.Convolutions);
        Assert.Equal(4, report.Patches); // one tile in four is held out
        Assert.InRange(report.MinimumCosine, 0.99, 1.0);
        var extractor = PatchFeatureExtractor.Get(report.Manifest);
        Assert.Null(extractor.Manifest.MaxBatchSize); // fixed scales: patches may share a call
        AssertAPatchIsEncodedAsAlone(extractor);
        var ops = Ops(Path.Combine(folder, "tiny-cnn-int8.onnx"));
        Assert.Equal(3, ops.Count(op => op == "QuantizeLinear")); // the first input and each ReLU's output
        Assert.Equal(2, ops.Count(op => op == "Relu")); // the QDQ sits after each ReLU, which ONNX Runtime folds
    }

    [Fact]
    public void CalibratingAViTKeptAsExternalDataQuantizesItsPatchEmbeddingToo()
    {
        var tiles = TestTemp.Folder("amil-int8-tiles-vit-").FullName;
        WriteTiles(tiles, 8, 112);
        var folder = TestTemp.Folder("amil-int8-vit-calibrated-").FullName;

        var report = EncoderQuantization.Quantize(Committed("tiny_vit_external.json"), folder, tiles);

        Assert.Equal((6, 1), (report.Summary.Products, report.Summary.Convolutions));
        Assert.Equal(2, report.Patches);
        Assert.InRange(report.MinimumCosine, 0.99, 1.0);
        Assert.Equal(1, PatchFeatureExtractor.Get(report.Manifest).Manifest.MaxBatchSize);
    }

    [Fact]
    public void AConvolutionReadingATensorTheGraphReturnsIsQuantizedToo()
    {
        // X → Conv → Relu → "stage1" (returned, as multi-scale exports do) → Conv → Relu → pool → "features".
        var folder = TestTemp.Folder("amil-int8-stages-").FullName;
        var random = new Random(3);
        float[] Draw(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() - 0.5f)];
        var graph = new ProtoMessage();
        (string Op, string[] In, string Out)[] steps =
        [
            ("Conv", ["X", "W1", "B1"], "c1"),
            ("Relu", ["c1"], "stage1"),
            ("Conv", ["stage1", "W2", "B2"], "c2"),
            ("Relu", ["c2"], "r2"),
            ("GlobalAveragePool", ["r2"], "features"),
        ];
        foreach (var (op, inputs, output) in steps)
            graph.Fields.Add(ProtoField.Of(OnnxFields.GraphNode, OnnxNodes.Node(op, output, inputs, [output])));
        graph.Fields.Add(ProtoField.Of(2, "stages"));
        foreach (
            var t in new[]
            {
                OnnxTensors.Floats("W1", [8, 3, 3, 3], Draw(8 * 27)),
                OnnxTensors.Floats("B1", [8], Draw(8)),
                OnnxTensors.Floats("W2", [8, 8, 3, 3], Draw(8 * 72)),
                OnnxTensors.Floats("B2", [8], Draw(8)),
            }
        )
            graph.Fields.Add(ProtoField.Of(OnnxFields.GraphInitializer, t));
        graph.Fields.Add(ProtoField.Of(OnnxFields.GraphInput, ValueInfo("X", [3, 16, 16])));
        graph.Fields.Add(ProtoField.Of(OnnxFields.GraphOutput, ValueInfo("features", [8, 1, 1])));
        graph.Fields.Add(ProtoField.Of(OnnxFields.GraphOutput, ValueInfo("stage1", [8, 14, 14])));
        string onnx = Path.Combine(folder, "stages.onnx");
        File.WriteAllBytes(onnx, Model(graph).ToBytes());
        string manifest = Path.Combine(folder, "stages.json");
        File.WriteAllText(
            manifest,
            new EncoderManifest
            {
                Name = "stages",
                File = "stages.onnx",
                Sha256 = FileHash.Sha256(onnx),
                InputSize = 16,
                Output = "features",
                FeatureSize = 8,
            }.ToJson()
        );
        var tiles = TestTemp.Folder("amil-int8-tiles-stages-").FullName;
        WriteTiles(tiles, 8, 32);

        var report = EncoderQuantization.Quantize(manifest, Path.Combine(folder, "out"), tiles);

        Assert.Equal(2, report.Summary.Convolutions);
        Assert.InRange(report.MinimumCosine, 0.99, 1.0);
    }

    [Fact]
    public void TheBuiltInResNet18OfOpset8IsQuantizedWithCalibration()
    {
        var tiles = TestTemp.Folder("amil-int8-tiles18-").FullName;
        WriteTiles(tiles, 8, 224);
        var folder = TestTemp.Folder("amil-int8-resnet18-").FullName;

        var report = EncoderQuantization.Quantize("resnet18", folder, tiles);

        Assert.Equal(22, report.Summary.Convolutions);
        Assert.True(report.Summary.BytesAfter * 3 < report.Summary.BytesBefore);
        Assert.InRange(report.MinimumCosine, 0.95, 1.0);
        var extractor = PatchFeatureExtractor.Get(report.Manifest);
        Assert.Equal("resnet18-int8", extractor.Manifest.Name);
        Assert.Equal(512, extractor.FeatureSize);
        var model = ProtoMessage.Parse(File.ReadAllBytes(Path.Combine(folder, "resnet18-int8.onnx")));
        Assert.Equal(13, OnnxNodes.Opset(model));
        // The image's scale spans every pixel value once normalised, not just those the tiles showed.
        var m = extractor.Manifest;
        var ends = Enumerable.Range(0, 3).SelectMany(c => new[] { -m.Mean[c] / m.Std[c], (1 - m.Mean[c]) / m.Std[c] });
        var scale = model
            .First(OnnxFields.ModelGraph)!
            .Message.All(OnnxFields.GraphInitializer)
            .Select(f => f.Message)
            .Single(t => OnnxTensors.Name(t) == "amil_qdq/Input247/scale");
        Assert.Equal((ends.Max() - ends.Min()) / 255, OnnxTensors.Floats(scale, folder)[0], 1e-5);
    }

    /// <summary>Tissue-like tiles: smooth pink and purple blobs with speckle, a different draw per tile.</summary>
    private static void WriteTiles(string folder, int count, int size)
    {
        for (int t = 0; t < count; t++)
        {
            var random = new Random(t);
            var pixels = new byte[size * size * 3];
            double fx = 0.05 + random.NextDouble() * 0.2,
                fy = 0.05 + random.NextDouble() * 0.2;
            for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                double nuclei = Math.Sin(x * fx + t) * Math.Cos(y * fy - t);
                int i = (y * size + x) * 3;
                pixels[i] = (byte)Math.Clamp(200 - 80 * nuclei + random.Next(20), 0, 255);
                pixels[i + 1] = (byte)Math.Clamp(140 - 90 * nuclei + random.Next(20), 0, 255);
                pixels[i + 2] = (byte)Math.Clamp(190 - 20 * nuclei + random.Next(20), 0, 255);
            }
            RgbImageWriter.WritePng(Path.Combine(folder, $"tile{t:D2}.png"), new RgbImage(size, size, pixels));
        }
    }

    /// <summary>The third of three patches encoded in one call has the features it has encoded alone.</summary>
    private static void AssertAPatchIsEncodedAsAlone(PatchFeatureExtractor extractor)
    {
        int size = extractor.InputSize;
        var patches = EncoderCheck.FixedPatches(3, size);
        var together = extractor.Extract(patches, EncoderCheck.Layout(3, size), 1f, 16);
        var alone = extractor.Extract(patches.AsSpan(2 * 3 * size * size), EncoderCheck.Layout(1, size), 1f, 16);
        Assert.Equal(together[(2 * extractor.FeatureSize)..], alone);
    }

    private static List<string?> Ops(string file) =>
        ProtoMessage
            .Parse(File.ReadAllBytes(file))
            .First(OnnxFields.ModelGraph)!
            .Message.All(OnnxFields.GraphNode)
            .Select(n => n.Message.Text(OnnxFields.NodeOpType))
            .ToList();

    [Fact]
    public void TheCliWritesTheCopyAndPrintsTheAgreement()
    {
        var folder = TestTemp.Folder("amil-int8-cli-").FullName;
        var (exit, stdout, stderr) = Programs.Amil("encoders", "quantize", Committed("tiny_vit.json"), "--out", folder);
        Assert.True(exit == 0, stderr);
        Assert.Contains("6 matrix products and 0 convolutions int8", stdout);
        Assert.Contains("agreement with the original on 32 fixed patches: cosine min", stdout);
        Assert.True(File.Exists(Path.Combine(folder, "tiny-vit-int8.json")));

        var (refused, _, error) = Programs.Amil("encoders", "quantize", "resnet18", "--out", folder);
        Assert.Equal(1, refused);
        Assert.Contains("give --calibration DIR", error);
    }

    [Fact]
    public void AGemmWithTransposedWeightAndBiasComputesWhatTheFloatOneDoes()
    {
        var folder = TestTemp.Folder("amil-int8-gemm-").FullName;
        string original = Path.Combine(folder, "gemm.onnx"),
            quantized = Path.Combine(folder, "gemm-int8.onnx");
        var random = new Random(5);
        File.WriteAllBytes(original, GemmModel(random, external: null).ToBytes());

        var summary = Int8Quantizer.Quantize(original, quantized);

        Assert.Equal(1, summary.Products);
        var x = Enumerable.Range(0, 3 * 64).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        var expected = Run(original, x);
        var actual = Run(quantized, x);
        Assert.Equal(3 * 128, actual.Length);
        for (int row = 0; row < 3; row++)
            Assert.True(
                EncoderQuantization.Cosine(actual.AsSpan(row * 128, 128), expected.AsSpan(row * 128, 128)) > 0.999,
                $"row {row}"
            );
        Assert.True(actual.Zip(expected).Max(p => Math.Abs(p.First - p.Second)) < 0.05);
    }

    [Fact]
    public void ExternalDataOutsideTheModelsFolderIsRefused()
    {
        var folder = TestTemp.Folder("amil-int8-outside-").FullName;
        string model = Path.Combine(folder, "model", "gemm.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(model)!);
        File.WriteAllBytes(Path.Combine(folder, "secret.bin"), new byte[128 * 64 * 4]);
        File.WriteAllBytes(model, GemmModel(new Random(1), external: "../secret.bin").ToBytes());

        var e = Assert.Throws<InvalidDataException>(() => Int8Quantizer.Quantize(model, model + ".int8"));
        Assert.Contains("outside the model's folder", e.Message);
    }

    [Fact]
    public void AnInt8PatchsFeaturesDoNotDependOnThePatchesBesideIt()
    {
        var folder = TestTemp.Folder("amil-int8-batch-").FullName;
        var report = EncoderQuantization.Quantize(Committed("tiny_vit.json"), folder);
        var extractor = PatchFeatureExtractor.Get(report.Manifest);
        Assert.Equal(1, extractor.Manifest.MaxBatchSize);
        AssertAPatchIsEncodedAsAlone(extractor);
    }

    /// <summary>Y = X·Wᵀ + C as one Gemm (transB = 1): X [N, 64], W [128, 64] inline or as external data, C [128].
    /// </summary>
    private static ProtoMessage GemmModel(Random random, string? external)
    {
        var weights = Enumerable.Range(0, 128 * 64).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var w = OnnxTensors.Floats("W", [128, 64], weights);
        if (external is not null)
        {
            w = OnnxTensors.Create("W", OnnxFields.TypeFloat, [128, 64], default);
            w.Fields.RemoveAll(f => f.Number == OnnxFields.TensorRawData);
            var entry = new ProtoMessage();
            entry.Fields.Add(ProtoField.Of(1, "location"));
            entry.Fields.Add(ProtoField.Of(2, external));
            w.Fields.Add(ProtoField.Of(OnnxFields.TensorExternalData, entry));
            w.Fields.Add(ProtoField.Of(OnnxFields.TensorDataLocation, 1));
        }
        var bias = OnnxTensors.Floats("C", [128], [.. Enumerable.Range(0, 128).Select(i => i / 128f)]);
        var node = new ProtoMessage();
        foreach (var input in new[] { "X", "W", "C" })
            node.Fields.Add(ProtoField.Of(OnnxFields.NodeInput, input));
        node.Fields.Add(ProtoField.Of(OnnxFields.NodeOutput, "Y"));
        node.Fields.Add(ProtoField.Of(OnnxFields.NodeOpType, "Gemm"));
        var transB = new ProtoMessage();
        transB.Fields.Add(ProtoField.Of(OnnxFields.AttributeName, "transB"));
        transB.Fields.Add(ProtoField.Of(OnnxFields.AttributeInt, 1));
        transB.Fields.Add(ProtoField.Of(OnnxFields.AttributeType, OnnxFields.AttributeTypeInt));
        node.Fields.Add(ProtoField.Of(OnnxFields.NodeAttribute, transB));
        var graph = new ProtoMessage();
        graph.Fields.Add(ProtoField.Of(OnnxFields.GraphNode, node));
        graph.Fields.Add(ProtoField.Of(2, "gemm"));
        graph.Fields.Add(ProtoField.Of(OnnxFields.GraphInitializer, w));
        graph.Fields.Add(ProtoField.Of(OnnxFields.GraphInitializer, bias));
        graph.Fields.Add(ProtoField.Of(OnnxFields.GraphInput, ValueInfo("X", 64)));
        graph.Fields.Add(ProtoField.Of(OnnxFields.GraphOutput, ValueInfo("Y", 128)));
        return Model(graph);
    }

    /// <summary>A model of opset 13 around <paramref name="graph"/>.</summary>
    private static ProtoMessage Model(ProtoMessage graph)
    {
        var opset = new ProtoMessage();
        opset.Fields.Add(ProtoField.Of(OnnxFields.OpsetDomain, ""));
        opset.Fields.Add(ProtoField.Of(OnnxFields.OpsetVersion, 13));
        var model = new ProtoMessage();
        model.Fields.Add(ProtoField.Of(1, 8)); // ir_version
        model.Fields.Add(ProtoField.Of(OnnxFields.ModelOpset, opset));
        model.Fields.Add(ProtoField.Of(OnnxFields.ModelGraph, graph));
        return model;
    }

    private static ProtoMessage ValueInfo(string name, long width) => ValueInfo(name, [width]);

    /// <summary>A float tensor of shape [N, …dims].</summary>
    private static ProtoMessage ValueInfo(string name, long[] dims)
    {
        var batch = new ProtoMessage();
        batch.Fields.Add(ProtoField.Of(2, "N"));
        var shape = new ProtoMessage();
        shape.Fields.Add(ProtoField.Of(1, batch));
        foreach (var d in dims)
        {
            var dim = new ProtoMessage();
            dim.Fields.Add(ProtoField.Of(1, (ulong)d));
            shape.Fields.Add(ProtoField.Of(1, dim));
        }
        var tensor = new ProtoMessage();
        tensor.Fields.Add(ProtoField.Of(1, (ulong)OnnxFields.TypeFloat));
        tensor.Fields.Add(ProtoField.Of(2, shape));
        var type = new ProtoMessage();
        type.Fields.Add(ProtoField.Of(1, tensor));
        var info = new ProtoMessage();
        info.Fields.Add(ProtoField.Of(OnnxFields.ValueInfoName, name));
        info.Fields.Add(ProtoField.Of(2, type));
        return info;
    }

    private static float[] Run(string model, float[] x)
    {
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(model);
        var input = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(x, [x.Length / 64, 64]);
        using var results = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("X", input)]);
        return [.. results.First().AsEnumerable<float>()];
    }
}
