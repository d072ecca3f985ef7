using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Onnx;
using Microsoft.ML.OnnxRuntime;
using F = Amil.MLNet.Transforms.Onnx.OnnxFields;

namespace Amil.MLNet.Transforms.Encoders.Quantization;

/// <summary>A patch cut from a calibration image: its centre square as 0…255 planes, resized by the encoder as any
/// patch is.</summary>
internal sealed record CalibrationPatch(string File, float[] Planes, int Size);

/// <summary>Measures the range of a model's activations on calibration patches, the way static quantization
/// needs it: the model first as ONNX Runtime's basic optimisations leave it (batch norms folded into the
/// convolutions, constants folded), then with the activations asked for added as outputs.</summary>
internal static class ActivationCalibration
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"];

    /// <summary>At most this many calibration images are read.</summary>
    public const int MaximumImages = 256;

    /// <summary>The model after ONNX Runtime's basic graph optimisations, every tensor inline.</summary>
    public static ProtoMessage Optimized(string file)
    {
        string temp = Path.Combine(Path.GetTempPath(), $"amil-optimized-{Guid.NewGuid():N}.onnx");
        try
        {
            using var options = new SessionOptions
            {
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC,
                OptimizedModelFilePath = temp,
            };
            var model = ProtoMessage.Parse(File.ReadAllBytes(file));
            bool external =
                model.First(F.ModelGraph)?.Message.All(F.GraphInitializer).Any(t => OnnxTensors.IsExternal(t.Message))
                ?? false;
            // A symbolic batch keeps the optimiser from folding batch 1 into shapes; external data needs the path.
            using (
                external
                    ? new InferenceSession(file, options)
                    : new InferenceSession(OnnxBatchDimension.MakeDynamic(model.ToBytes()), options)
            ) { }
            return Inlined(ProtoMessage.Parse(File.ReadAllBytes(temp)), Path.GetDirectoryName(Path.GetFullPath(file))!);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>The model with every tensor kept as external data (ONNX Runtime leaves those it did not change
    /// where they were, beside the original) brought inline.</summary>
    private static ProtoMessage Inlined(ProtoMessage model, string folder)
    {
        int at = model.Fields.FindIndex(f => f.Number == F.ModelGraph);
        var graph = model.Fields[at].Message;
        for (int i = 0; i < graph.Fields.Count; i++)
            if (graph.Fields[i].Number == F.GraphInitializer && OnnxTensors.IsExternal(graph.Fields[i].Message))
                graph.Fields[i] = ProtoField.Of(
                    F.GraphInitializer,
                    OnnxTensors.Inline(graph.Fields[i].Message, folder)
                );
        model.Fields[at] = ProtoField.Of(F.ModelGraph, graph);
        return model;
    }

    /// <summary>The patches of a folder of images (PNG, JPEG, TIFF, BMP), by name, at most
    /// <see cref="MaximumImages"/>.</summary>
    /// <exception cref="ArgumentException">The folder is missing or holds no image.</exception>
    public static List<CalibrationPatch> Patches(string folder)
    {
        if (!Directory.Exists(folder))
            throw new ArgumentException($"The calibration folder {folder} does not exist.");
        var files = Directory
            .EnumerateFiles(folder)
            .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal)
            .Take(MaximumImages)
            .ToList();
        if (files.Count < 2)
            throw new ArgumentException(
                $"The calibration folder {folder} holds {files.Count} image(s) (PNG, JPEG, TIFF or BMP); give at least "
                    + "2, ideally 32 or more tiles like those the encoder will see."
            );
        return files.Select(CentreSquare).ToList();
    }

    private static CalibrationPatch CentreSquare(string file)
    {
        var image = RgbImageReader.Read(file);
        int size = Math.Min(image.Width, image.Height),
            left = (image.Width - size) / 2,
            top = (image.Height - size) / 2;
        var planes = new float[3 * size * size];
        for (int c = 0; c < 3; c++)
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
            planes[(c * size + y) * size + x] = image[left + x, top + y, c];
        return new CalibrationPatch(file, planes, size);
    }

    /// <summary>Each activation's lowest and highest value over the patches.</summary>
    public static Dictionary<string, ActivationRange> Ranges(
        ProtoMessage model,
        IReadOnlyList<string> activations,
        PatchFeatureExtractor encoder,
        IEnumerable<CalibrationPatch> patches
    )
    {
        model = ProtoMessage.Parse(model.ToBytes()); // the outputs added are the calibration's alone
        var graph = model.First(F.ModelGraph)!.Message;
        var inputs = graph.All(F.GraphInput).Select(i => i.Message.Text(F.ValueInfoName) ?? "").ToHashSet();
        var outputs = activations.Where(a => !inputs.Contains(a)).ToList();
        foreach (var name in outputs)
            graph.Fields.Add(ProtoField.Of(F.GraphOutput, FloatValue(name)));
        model.Fields[model.Fields.FindIndex(f => f.Number == F.ModelGraph)] = ProtoField.Of(F.ModelGraph, graph);
        var ranges = activations.ToDictionary(a => a, _ => new ActivationRange(float.MaxValue, float.MinValue));
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(OnnxBatchDimension.MakeDynamic(model.ToBytes()), options);
        foreach (var patch in patches)
        {
            var input = encoder.Input(patch.Planes, EncoderCheck.Layout(1, patch.Size), 1f, 0, 1);
            if (ranges.ContainsKey(encoder.InputName))
                Widen(ranges, encoder.InputName, input.Buffer.Span);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(encoder.InputName, input)], outputs);
            foreach (var result in results)
                Widen(ranges, result.Name, result.AsTensor<float>().ToArray());
        }
        return ranges;
    }

    private static void Widen(Dictionary<string, ActivationRange> ranges, string name, ReadOnlySpan<float> values)
    {
        var r = ranges[name];
        float lo = r.Minimum,
            hi = r.Maximum;
        foreach (float v in values)
            if (float.IsFinite(v))
            {
                lo = Math.Min(lo, v);
                hi = Math.Max(hi, v);
            }
        ranges[name] = new ActivationRange(lo, hi);
    }

    /// <summary>ValueInfoProto of a float tensor of any shape.</summary>
    private static ProtoMessage FloatValue(string name)
    {
        var tensorType = new ProtoMessage();
        tensorType.Fields.Add(ProtoField.Of(1, (ulong)F.TypeFloat)); // TypeProto.Tensor.elem_type
        var type = new ProtoMessage();
        type.Fields.Add(ProtoField.Of(F.TypeTensor, tensorType));
        var value = new ProtoMessage();
        value.Fields.Add(ProtoField.Of(F.ValueInfoName, name));
        value.Fields.Add(ProtoField.Of(F.ValueInfoType, type));
        return value;
    }
}
