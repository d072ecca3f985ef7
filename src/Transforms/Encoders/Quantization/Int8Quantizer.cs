using System.Runtime.InteropServices;
using Amil.MLNet.Transforms.Onnx;
using F = Amil.MLNet.Transforms.Onnx.OnnxFields;

namespace Amil.MLNet.Transforms.Encoders.Quantization;

/// <summary>What quantizing a model did.</summary>
/// <param name="Products">MatMul and Gemm nodes whose weights became int8 (inputs quantized as the encoder runs).
/// </param>
/// <param name="Convolutions">Convolutions made int8 at activation scales measured on calibration images.</param>
/// <param name="Kept">Nodes of the model left as they were (attention products, normalisations, small or shared
/// weights, and convolutions when no calibration images were given).</param>
/// <param name="BytesBefore">The model's size, external data included.</param>
/// <param name="BytesAfter">The quantized model's size (one file).</param>
public sealed record QuantizationSummary(int Products, int Convolutions, int Kept, long BytesBefore, long BytesAfter);

/// <summary>
/// Dynamic int8 quantization of an ONNX encoder's matrix products, as ONNX Runtime's own quantizer writes it: each
/// MatMul or Gemm whose weight is a constant [K, N] matrix gets int8 weights with one symmetric scale per output
/// column, its input is quantized to uint8 on the fly (DynamicQuantizeLinear, one scale per call, so the copy's
/// manifest runs one patch a call), and the product runs as MatMulInteger rescaled to float, which ONNX Runtime fuses
/// into its int8 kernels (VNNI where the CPU has it). Convolutions stay float. The output is one self-contained file
/// (external data brought inline).
/// </summary>
internal static class Int8Quantizer
{
    /// <summary>Weights smaller than this stay float: quantizing them saves nothing and costs a dequantization.
    /// </summary>
    public const int MinimumWeights = 4096;

    /// <summary>The file's matrix products quantized (convolutions left float).</summary>
    /// <exception cref="InvalidDataException">The file is not an ONNX model this can quantize (opset below 11, or
    /// nothing to quantize); the message says which.</exception>
    public static QuantizationSummary Quantize(string inputPath, string outputPath)
    {
        var model = ProtoMessage.Parse(File.ReadAllBytes(inputPath));
        return Quantize(model, inputPath, outputPath, new QdqResult(0, 0), ModelBytes(model, inputPath));
    }

    /// <summary>The model's matrix products quantized and the model written to <paramref name="outputPath"/> as one
    /// file.</summary>
    /// <param name="model">The model, perhaps with convolutions already in QDQ form.</param>
    /// <param name="sourcePath">The file it came from: its folder holds external data; its size is reported.</param>
    /// <param name="outputPath">Where the quantized model goes.</param>
    /// <param name="convolutions">What quantizing the convolutions did before.</param>
    /// <param name="bytesBefore">The source's size, external data included (<see cref="ModelBytes"/>).</param>
    public static QuantizationSummary Quantize(
        ProtoMessage model,
        string sourcePath,
        string outputPath,
        QdqResult convolutions,
        long bytesBefore
    )
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(sourcePath))!;
        CheckOpset(model, sourcePath);
        var graphField = model.First(F.ModelGraph) ?? throw new InvalidDataException($"{sourcePath} has no graph");
        var graph = graphField.Message;
        var initializers = graph.All(F.GraphInitializer).Select(f => f.Message).ToList();
        var rewrite = new GraphRewrite(graph, initializers, folder);
        int quantized = rewrite.Run();
        if (quantized + convolutions.Quantized == 0)
            throw new InvalidDataException(
                $"{sourcePath} has no MatMul or Gemm with a constant weight of {MinimumWeights} values or more, and "
                    + "no convolution was quantized: nothing to quantize (convolutions are quantized only with "
                    + "calibration images)."
            );
        model.Fields[model.Fields.IndexOf(graphField)] = ProtoField.Of(F.ModelGraph, rewrite.Graph());
        // Protocol buffers stop at 2 GB; a larger model would need external data, which this writer does not write.
        if (model.Size() >= int.MaxValue)
            throw new InvalidDataException(
                $"{sourcePath}: even quantized, the model would be {model.Size() / 1e9:F1} GB, over the 2 GB a single "
                    + "ONNX file can hold."
            );
        AtomicFile.Write(
            outputPath,
            temp =>
            {
                using var stream = File.Create(temp);
                model.WriteTo(stream);
            }
        );
        return new QuantizationSummary(
            quantized,
            convolutions.Quantized,
            rewrite.Kept - convolutions.AddedNodes - convolutions.Quantized,
            bytesBefore,
            new FileInfo(outputPath).Length
        );
    }

    /// <summary>A model file's size with the external data files its tensors name (the model as read from that
    /// file, so it is not read again).</summary>
    internal static long ModelBytes(ProtoMessage model, string path)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var tensors = model.First(F.ModelGraph)?.Message.All(F.GraphInitializer).Select(f => f.Message) ?? [];
        return Length(path) + OnnxTensors.ExternalFiles(tensors, folder).Where(File.Exists).Sum(Length);
    }

    /// <summary>A file's length; a symbolic link's target's.</summary>
    private static long Length(string file)
    {
        var info = new FileInfo(file);
        return info.LinkTarget is null ? info.Length : (info.ResolveLinkTarget(true) as FileInfo)?.Length ?? 0;
    }

    private static void CheckOpset(ProtoMessage model, string path)
    {
        long version = OnnxNodes.Opset(model);
        if (version < 11)
            throw new InvalidDataException(
                $"{path} uses ONNX opset {version}; int8 quantization needs opset 11 or later (DynamicQuantizeLinear). "
                    + "Export the encoder again with opset_version=17."
            );
    }

    /// <summary>Per-column symmetric int8: column n's scale is max |w[k, n]| / 127.</summary>
    internal static (sbyte[] Weights, float[] Scales) QuantizeColumns(float[] w, int rows, int columns)
    {
        var scales = new float[columns];
        for (int r = 0; r < rows; r++)
        for (int c = 0; c < columns; c++)
            scales[c] = Math.Max(scales[c], Math.Abs(w[r * columns + c]));
        for (int c = 0; c < columns; c++)
            scales[c] = scales[c] > 0 ? scales[c] / 127f : 1f;
        var q = new sbyte[w.Length];
        for (int r = 0; r < rows; r++)
        for (int c = 0; c < columns; c++)
            q[r * columns + c] = (sbyte)Math.Clamp(MathF.Round(w[r * columns + c] / scales[c]), -127, 127);
        return (q, scales);
    }

    /// <summary>A row-major [rows, columns] matrix as [columns, rows].</summary>
    internal static T[] Transpose<T>(T[] values, int rows, int columns)
    {
        var t = new T[values.Length];
        for (int r = 0; r < rows; r++)
        for (int c = 0; c < columns; c++)
            t[c * rows + r] = values[r * columns + c];
        return t;
    }

    /// <summary>The graph's nodes rewritten one by one; initializers replaced where a weight became int8.</summary>
    private sealed class GraphRewrite(ProtoMessage graph, List<ProtoMessage> initializers, string folder)
    {
        private readonly Dictionary<string, ProtoMessage> _byName = initializers.ToDictionary(OnnxTensors.Name);
        private readonly List<ProtoMessage> _nodes = [];
        private readonly List<ProtoMessage> _added = [];
        private readonly HashSet<string> _replaced = [];
        private readonly Dictionary<string, (string Q, string Scale, string ZeroPoint)> _dynamic = [];
        private readonly Dictionary<string, int> _uses = OnnxGraph.Reads(graph.All(F.GraphNode).Select(n => n.Message));
        private readonly HashSet<string> _readElsewhere = OnnxNodes.ReadElsewhere(graph);

        public int Kept { get; private set; }

        public int Run()
        {
            int quantized = 0;
            foreach (var node in graph.All(F.GraphNode).Select(f => f.Message))
                if (Weight(node) is { } weight)
                {
                    Replace(node, weight);
                    quantized++;
                }
                else
                {
                    _nodes.Add(node);
                    Kept++;
                }
            return quantized;
        }

        /// <summary>The graph with the new nodes, the int8 weights in place of the float ones, every tensor
        /// inline.</summary>
        public ProtoMessage Graph() => OnnxGraph.Rebuilt(graph, _nodes, Tensors(), _replaced);

        private IEnumerable<ProtoMessage> Tensors() =>
            initializers
                .Where(t => !_replaced.Contains(OnnxTensors.Name(t)))
                .Select(t => OnnxTensors.IsExternal(t) ? OnnxTensors.Inline(t, folder) : t)
                .Concat(_added);

        /// <summary>The node's constant weight as [K, N] floats, when the node is a product this quantizes.</summary>
        private (float[] Values, int Rows, int Columns, string? Bias)? Weight(ProtoMessage node)
        {
            string op = OnnxNodes.Op(node);
            var inputs = OnnxNodes.Inputs(node);
            if (op is not ("MatMul" or "Gemm") || !OnnxNodes.IsStandard(node) || inputs.Count < 2)
                return null;
            if (
                !_byName.TryGetValue(inputs[1], out var tensor)
                || _uses.GetValueOrDefault(inputs[1]) != 1
                || _readElsewhere.Contains(inputs[1])
            )
                return null;
            var dims = OnnxTensors.Dims(tensor);
            if (OnnxTensors.DataType(tensor) != F.TypeFloat || dims.Length != 2 || dims[0] * dims[1] < MinimumWeights)
                return null;
            var values = OnnxTensors.Floats(tensor, folder);
            if (values.Length != dims[0] * dims[1])
                throw new InvalidDataException(
                    $"weight '{inputs[1]}' holds {values.Length} values; its shape [{dims[0]}, {dims[1]}] needs "
                        + $"{dims[0] * dims[1]}: the model is damaged"
                );
            if (op == "MatMul")
                return (values, (int)dims[0], (int)dims[1], null);
            if (
                OnnxNodes.Int(node, "transA") != 0
                || OnnxNodes.Float(node, "alpha") != 1
                || (inputs.Count > 2 && OnnxNodes.Float(node, "beta") != 1)
            )
                return null;
            return OnnxNodes.Int(node, "transB") == 1
                ? (Transpose(values, (int)dims[0], (int)dims[1]), (int)dims[1], (int)dims[0], Bias(inputs))
                : (values, (int)dims[0], (int)dims[1], Bias(inputs));
        }

        private static string? Bias(List<string> inputs) => inputs.Count > 2 && inputs[2] != "" ? inputs[2] : null;

        private void Replace(ProtoMessage node, (float[] Values, int Rows, int Columns, string? Bias) weight)
        {
            var inputs = node.All(F.NodeInput).Select(f => f.Text).ToList();
            string output = node.All(F.NodeOutput).First().Text;
            string stem = "amil_int8/" + output;
            var (q, scales) = QuantizeColumns(weight.Values, weight.Rows, weight.Columns);
            _replaced.Add(inputs[1]);
            _added.Add(
                OnnxTensors.Create(
                    stem + "/weight",
                    F.TypeInt8,
                    [weight.Rows, weight.Columns],
                    MemoryMarshal.AsBytes(q.AsSpan()).ToArray()
                )
            );
            _added.Add(OnnxTensors.Floats(stem + "/weight_scale", [weight.Columns], scales));
            var (aq, aScale, aZero) = DynamicInput(inputs[0]);
            string product = weight.Bias is null ? output : stem + "/product";
            _nodes.Add(
                OnnxNodes.Node("MatMulInteger", stem + "/matmul", [aq, stem + "/weight", aZero], [stem + "/int32"])
            );
            _nodes.Add(
                OnnxNodes.Node("Cast", stem + "/cast", [stem + "/int32"], [stem + "/float"], ("to", F.TypeFloat))
            );
            _nodes.Add(OnnxNodes.Node("Mul", stem + "/scales", [aScale, stem + "/weight_scale"], [stem + "/scale"]));
            _nodes.Add(OnnxNodes.Node("Mul", stem + "/rescale", [stem + "/float", stem + "/scale"], [product]));
            if (weight.Bias is { } bias)
                _nodes.Add(OnnxNodes.Node("Add", stem + "/bias", [product, bias], [output]));
        }

        /// <summary>The input quantized to uint8 on the fly, once however many products read it.</summary>
        private (string Q, string Scale, string ZeroPoint) DynamicInput(string input)
        {
            if (_dynamic.TryGetValue(input, out var made))
                return made;
            string stem = "amil_int8/" + input + "/dynamic";
            made = (stem + "/q", stem + "/scale", stem + "/zero_point");
            _nodes.Add(OnnxNodes.Node("DynamicQuantizeLinear", stem, [input], [made.Q, made.Scale, made.ZeroPoint]));
            _dynamic[input] = made;
            return made;
        }
    }
}
