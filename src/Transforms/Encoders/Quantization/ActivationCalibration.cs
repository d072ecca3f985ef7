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
    /// <param name="model">The model as read from <paramref name="file"/> (its external tensors are brought inline
    /// in it).</param>
    /// <param name="file">Where it was read: external data lies beside it.</param>
    /// <param name="bytes">Its size with external data (<see cref="Int8Quantizer.ModelBytes"/>).</param>
    /// <exception cref="InvalidDataException">The model, external data included, is 2 GB or more.</exception>
    public static ProtoMessage Optimized(ProtoMessage model, string file, long bytes)
    {
        if (bytes >= int.MaxValue)
            throw new InvalidDataException(
                $"{file} is {bytes / 1e9:F1} GB with its external data; calibrating its convolutions needs it in one "
                    + "piece, under the 2 GB a single ONNX model can hold. Quantize it without calibration images "
                    + "(its matrix products only)."
            );
        string temp = Path.Combine(Path.GetTempPath(), $"amil-optimized-{Guid.NewGuid():N}.onnx");
        try
        {
            using var options = new SessionOptions
            {
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC,
                OptimizedModelFilePath = temp,
            };
            Inline(model, Path.GetDirectoryName(Path.GetFullPath(file))!);
            // A symbolic batch keeps the optimiser from folding batch 1 into shapes.
            using (new InferenceSession(OnnxBatchDimension.MakeDynamic(model).ToBytes(), options)) { }
            return ProtoMessage.Parse(File.ReadAllBytes(temp));
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Brings every tensor kept as external data inline.</summary>
    private static void Inline(ProtoMessage model, string folder)
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
    }

    /// <summary>The patches of a folder of images (PNG, JPEG, TIFF, BMP), by name, at most
    /// <see cref="MaximumImages"/>, each its centre square at <paramref name="side"/> pixels.</summary>
    /// <exception cref="ArgumentException">The folder is missing or holds fewer than two images.</exception>
    public static List<CalibrationPatch> Patches(string folder, int side)
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
        return files.Select(f => CentreSquare(f, side)).ToList();
    }

    /// <summary>An image's centre square resized to <paramref name="side"/>, so a large image is held small.</summary>
    private static CalibrationPatch CentreSquare(string file, int side)
    {
        var image = RgbImageReader.Read(file);
        int size = Math.Min(image.Width, image.Height),
            left = (image.Width - size) / 2,
            top = (image.Height - size) / 2;
        var square = new byte[size * size * 3];
        for (int y = 0; y < size; y++)
            Array.Copy(image.Pixels, ((top + y) * image.Width + left) * 3, square, y * size * 3, size * 3);
        var patch = ImageResizer.Resize(new RgbImage(size, size, square), side, side);
        var planes = new float[3 * side * side];
        patch.CopyPlanes(planes);
        return new CalibrationPatch(file, planes, side);
    }

    /// <summary>Each activation's lowest and highest value over the patches.</summary>
    public static Dictionary<string, ActivationRange> Ranges(
        ProtoMessage model,
        IReadOnlyList<string> activations,
        PatchFeatureExtractor encoder,
        IEnumerable<CalibrationPatch> patches
    )
    {
        // A copy of the model's fields (not its bytes): the outputs added are the calibration's alone.
        var copy = new ProtoMessage();
        copy.Fields.AddRange(model.Fields);
        var graph = new ProtoMessage();
        graph.Fields.AddRange(model.First(F.ModelGraph)!.Message.Fields);
        var inputs = graph.All(F.GraphInput).Select(i => i.Message.Text(F.ValueInfoName) ?? "").ToHashSet();
        var returned = graph.All(F.GraphOutput).Select(o => o.Message.Text(F.ValueInfoName) ?? "").ToHashSet();
        var outputs = activations.Where(a => !inputs.Contains(a)).ToList();
        foreach (var name in outputs.Where(o => !returned.Contains(o)))
            graph.Fields.Add(ProtoField.Of(F.GraphOutput, FloatValue(name)));
        copy.Fields[copy.Fields.FindIndex(f => f.Number == F.ModelGraph)] = ProtoField.Of(F.ModelGraph, graph);
        var ranges = activations.ToDictionary(a => a, _ => new ActivationRange(float.MaxValue, float.MinValue));
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(OnnxBatchDimension.MakeDynamic(copy).ToBytes(), options);
        foreach (var patch in patches)
        {
            var input = encoder.Input(patch.Planes, EncoderCheck.Layout(1, patch.Size), 1f, 0, 1);
            if (ranges.ContainsKey(encoder.InputName))
                Widen(ranges, encoder.InputName, input.Buffer.Span);
            if (outputs.Count == 0)
                continue;
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(encoder.InputName, input)], outputs);
            foreach (var result in results)
                Widen(ranges, result.Name, result.AsTensor<float>().ToArray());
        }
        foreach (var (name, range) in ranges)
            if (!(range.Minimum <= range.Maximum))
                throw new InvalidDataException(
                    $"Activation '{name}' took no finite value on any calibration tile: its range cannot be set. "
                        + "Check that the encoder gives finite features on these tiles (encoders check)."
                );
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
