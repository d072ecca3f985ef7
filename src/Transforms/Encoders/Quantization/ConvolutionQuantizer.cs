using System.Runtime.InteropServices;
using Amil.MLNet.Transforms.Onnx;
using F = Amil.MLNet.Transforms.Onnx.OnnxFields;

namespace Amil.MLNet.Transforms.Encoders.Quantization;

/// <summary>An activation's range measured on calibration patches.</summary>
internal readonly record struct ActivationRange(float Minimum, float Maximum)
{
    /// <summary>Asymmetric uint8 over the range widened to hold 0 (so zero padding is exact).</summary>
    public (float Scale, byte ZeroPoint) UInt8()
    {
        float lo = Math.Min(0f, Minimum),
            hi = Math.Max(0f, Maximum);
        float scale = hi - lo > 1e-12f ? (hi - lo) / 255f : 1f;
        return (scale, (byte)Math.Clamp(MathF.Round(-lo / scale), 0, 255));
    }
}

/// <summary>What quantizing convolutions did: convolutions quantized, and the nodes that added.</summary>
internal readonly record struct QdqResult(int Quantized, int AddedNodes);

/// <summary>
/// Static int8 quantization of an ONNX encoder's convolutions in the QDQ form ONNX Runtime fuses into QLinearConv:
/// the convolution's input and output pass through QuantizeLinear → DequantizeLinear with a uint8 scale measured on
/// calibration patches, its weights are int8 with one symmetric scale per output channel, its bias int32 at the
/// input scale × the channel's weight scale. Only convolutions whose weight and bias are constants used by them alone
/// are quantized; the rest of the graph is left as it is.
/// </summary>
internal sealed class ConvolutionQuantizer
{
    private const string Prefix = "amil_qdq/";

    private readonly ProtoMessage _graph;
    private readonly List<ProtoMessage> _nodes; // parsed once: a field's Message parses anew on every read
    private readonly List<ProtoMessage> _initializers;
    private readonly Dictionary<string, ProtoMessage> _byName;
    private readonly Dictionary<string, int> _uses;
    private readonly HashSet<string> _graphOutputs;
    private readonly HashSet<string> _readElsewhere; // graph outputs and what subgraphs read

    public ConvolutionQuantizer(ProtoMessage graph)
    {
        _graph = graph;
        _nodes = graph.All(F.GraphNode).Select(f => f.Message).ToList();
        _initializers = graph.All(F.GraphInitializer).Select(f => f.Message).ToList();
        _byName = _initializers.ToDictionary(OnnxTensors.Name);
        _uses = OnnxGraph.Reads(_nodes);
        _graphOutputs = graph.All(F.GraphOutput).Select(o => o.Message.Text(F.ValueInfoName) ?? "").ToHashSet();
        _readElsewhere = OnnxNodes.ReadElsewhere(graph);
        Convolutions = _nodes.Where(Quantizable).ToList();
    }

    /// <summary>The convolutions this quantizes, in graph order.</summary>
    public IReadOnlyList<ProtoMessage> Convolutions { get; }

    /// <summary>The activations whose ranges the rewrite needs: each convolution's input and the tensor quantized
    /// after it: the output of the ReLU that alone reads it (ONNX Runtime then folds the ReLU into the int8
    /// convolution, and the range spends no codes on negatives), else its own output, unless the graph returns
    /// that (its name stays the float result's).</summary>
    public IReadOnlyList<string> Activations() =>
        Convolutions
            .Select(c => OnnxNodes.Inputs(c)[0])
            .Concat(Convolutions.Select(Quantized).Where(t => !_graphOutputs.Contains(t)))
            .Distinct()
            .ToList();

    /// <summary>The tensor quantized after a convolution: its ReLU's output or its own.</summary>
    private string Quantized(ProtoMessage conv) =>
        ReluAfter(conv) is { } relu ? OnnxNodes.Outputs(relu)[0] : OnnxNodes.Outputs(conv)[0];

    private ProtoMessage? ReluAfter(ProtoMessage conv)
    {
        string y = OnnxNodes.Outputs(conv)[0];
        if (_readElsewhere.Contains(y) || _uses.GetValueOrDefault(y) != 1)
            return null;
        var reader = _nodes.First(n => OnnxNodes.Inputs(n).Contains(y));
        return OnnxNodes.Op(reader) == "Relu" && OnnxNodes.IsStandard(reader) ? reader : null;
    }

    private bool Quantizable(ProtoMessage node)
    {
        if (OnnxNodes.Op(node) != "Conv" || !OnnxNodes.IsStandard(node))
            return false;
        var inputs = OnnxNodes.Inputs(node);
        if (inputs.Count < 2 || _byName.ContainsKey(inputs[0]) || !OwnConstant(inputs[1]))
            return false;
        var weight = _byName[inputs[1]];
        if (OnnxTensors.DataType(weight) != F.TypeFloat || OnnxTensors.Dims(weight).Length != 4)
            return false;
        // A bias may be shared (exporters store equal constants once); each convolution gets its own int32 copy.
        return inputs.Count < 3
            || inputs[2] == ""
            || _byName.TryGetValue(inputs[2], out var bias)
                && OnnxTensors.DataType(bias) == F.TypeFloat
                && !_readElsewhere.Contains(inputs[2]);
    }

    private bool OwnConstant(string name) =>
        _byName.TryGetValue(name, out var t)
        && _uses.GetValueOrDefault(name) == 1
        && !_readElsewhere.Contains(name)
        && OnnxTensors.DataType(t) == F.TypeFloat;

    /// <summary>The graph with every quantizable convolution in QDQ form, at the measured ranges.</summary>
    /// <exception cref="InvalidDataException">A weight's stored size disagrees with its shape.</exception>
    public (ProtoMessage Graph, QdqResult Result) Rewrite(
        IReadOnlyDictionary<string, ActivationRange> ranges,
        string folder
    )
    {
        var quantized = Convolutions.ToHashSet();
        var relus = Convolutions.Select(ReluAfter).OfType<ProtoMessage>().ToHashSet();
        var nodes = new List<ProtoMessage>();
        var added = new List<ProtoMessage>();
        var replaced = new List<string>();
        var dequantized = new Dictionary<string, string>(); // activation → its QDQ copy
        // A tensor quantized where it is made is read as it is: its name is already the dequantized copy's.
        void MarkQuantized(string tensor)
        {
            if (ranges.ContainsKey(tensor))
                dequantized[tensor] = tensor;
        }
        foreach (var node in _nodes)
        {
            if (relus.Contains(node))
            {
                QuantizeOutput(node, OnnxNodes.Inputs(node), ranges, nodes, added);
                MarkQuantized(OnnxNodes.Outputs(node)[0]);
                continue;
            }
            if (!quantized.Contains(node))
            {
                nodes.Add(node);
                continue;
            }
            var inputs = OnnxNodes.Inputs(node);
            string x = inputs[0];
            if (!dequantized.TryGetValue(x, out var xq))
                dequantized[x] = xq = QuantizeDequantize(x, Prefix + x + "/dq", ranges[x], nodes, added);
            float inputScale = ranges[x].UInt8().Scale;
            var (w, wScales) = Weights(inputs[1], folder, added, nodes);
            replaced.Add(inputs[1]);
            var conv = new List<string> { xq, w };
            if (inputs.Count > 2 && inputs[2] != "")
            {
                conv.Add(Bias(inputs[2], OnnxNodes.Outputs(node)[0], folder, inputScale, wScales, added, nodes));
                replaced.Add(inputs[2]);
            }
            if (ReluAfter(node) is null)
            {
                QuantizeOutput(node, conv, ranges, nodes, added);
                MarkQuantized(OnnxNodes.Outputs(node)[0]);
            }
            else
                nodes.Add(Rewired(node, conv, OnnxNodes.Outputs(node)[0]));
        }
        return (Rebuilt(nodes, added, replaced), new QdqResult(quantized.Count, nodes.Count - _nodes.Count));
    }

    /// <summary>Operators whose meaning did not change between the opset a model was exported with and 13, so an
    /// older model of only these may declare 13 (per-channel DequantizeLinear needs it).</summary>
    private static readonly HashSet<string> SameSince8 =
    [
        "Conv",
        "Relu",
        "Add",
        "Sub",
        "Mul",
        "MaxPool",
        "AveragePool",
        "GlobalAveragePool",
        "Flatten",
        "Concat",
        "Reshape",
        "Identity",
        "Sigmoid",
        "Gemm",
        "MatMul",
    ];

    /// <summary>Makes the model declare opset 13 (and IR version 7) when it declares less and holds only operators
    /// that mean the same there.</summary>
    /// <exception cref="InvalidDataException">An older model holds an operator that changed.</exception>
    public static void UseOpset13(ProtoMessage model, string path)
    {
        long version = OnnxNodes.Opset(model);
        if (version >= 13)
            return;
        var graph = model.First(F.ModelGraph)!.Message;
        var changed = graph
            .All(F.GraphNode)
            .Select(n => n.Message)
            .Where(n => !OnnxNodes.IsStandard(n) || !SameSince8.Contains(OnnxNodes.Op(n)))
            .Select(OnnxNodes.Op)
            .Distinct()
            .ToList();
        if (version < 8 || changed.Count > 0)
            throw new InvalidDataException(
                $"{path} uses ONNX opset {version}; quantizing its convolutions needs opset 13 (per-channel "
                    + $"DequantizeLinear), and {(changed.Count > 0 ? string.Join(", ", changed) : "its operators")} "
                    + "may mean something else there. Export the encoder again with opset_version=17."
            );
        for (int i = 0; i < model.Fields.Count; i++)
            if (
                model.Fields[i].Number == F.ModelOpset
                && string.IsNullOrEmpty(model.Fields[i].Message.Text(F.OpsetDomain))
            )
            {
                var opset = new ProtoMessage();
                opset.Fields.Add(ProtoField.Of(F.OpsetVersion, 13UL));
                model.Fields[i] = ProtoField.Of(F.ModelOpset, opset);
            }
        int ir = model.Fields.FindIndex(f => f.Number == F.ModelIrVersion);
        if (ir >= 0 && model.Fields[ir].Value < 7)
            model.Fields[ir] = ProtoField.Of(F.ModelIrVersion, 7UL);
    }

    /// <summary>The node on <paramref name="inputs"/>, its output passed through QuantizeLinear → DequantizeLinear
    /// under its own name (unless the graph returns it).</summary>
    private static void QuantizeOutput(
        ProtoMessage node,
        List<string> inputs,
        IReadOnlyDictionary<string, ActivationRange> ranges,
        List<ProtoMessage> nodes,
        List<ProtoMessage> added
    )
    {
        string y = OnnxNodes.Outputs(node)[0];
        if (!ranges.TryGetValue(y, out var range))
        {
            nodes.Add(Rewired(node, inputs, y));
            return;
        }
        nodes.Add(Rewired(node, inputs, Prefix + y + "/float"));
        QuantizeDequantize(Prefix + y + "/float", y, range, nodes, added);
    }

    /// <summary>tensor → QuantizeLinear → DequantizeLinear → <paramref name="result"/>.</summary>
    private static string QuantizeDequantize(
        string tensor,
        string result,
        ActivationRange range,
        List<ProtoMessage> nodes,
        List<ProtoMessage> added
    )
    {
        string stem = Prefix + tensor;
        var (scale, zeroPoint) = range.UInt8();
        added.Add(OnnxTensors.Floats(stem + "/scale", [], [scale]));
        added.Add(OnnxTensors.Create(stem + "/zero_point", F.TypeUInt8, [], new[] { zeroPoint }));
        string[] parameters = [stem + "/scale", stem + "/zero_point"];
        nodes.Add(OnnxNodes.Node("QuantizeLinear", stem + "/quantize", [tensor, .. parameters], [stem + "/q"]));
        nodes.Add(OnnxNodes.Node("DequantizeLinear", stem + "/dequantize", [stem + "/q", .. parameters], [result]));
        return result;
    }

    /// <summary>int8 weights, one symmetric scale per output channel, dequantized along axis 0.</summary>
    private (string Name, float[] Scales) Weights(
        string name,
        string folder,
        List<ProtoMessage> added,
        List<ProtoMessage> nodes
    )
    {
        var tensor = _byName[name];
        var dims = OnnxTensors.Dims(tensor);
        var values = OnnxTensors.Floats(tensor, folder);
        if (values.Length != dims.Aggregate(1L, (a, d) => a * d))
            throw new InvalidDataException(
                $"weight '{name}' holds {values.Length} values; its shape [{string.Join(", ", dims)}] needs more: "
                    + "the model is damaged"
            );
        int channels = (int)dims[0],
            each = values.Length / channels;
        var (q, scales) = Int8Quantizer.QuantizeColumns(
            Int8Quantizer.Transpose(values, channels, each),
            each,
            channels
        );
        var int8 = Int8Quantizer.Transpose(q, each, channels);
        string stem = Prefix + name;
        added.Add(OnnxTensors.Create(stem + "/int8", F.TypeInt8, dims, MemoryMarshal.AsBytes(int8.AsSpan()).ToArray()));
        added.Add(OnnxTensors.Floats(stem + "/scale", [channels], scales));
        added.Add(OnnxTensors.Create(stem + "/zero_point", F.TypeInt8, [channels], new byte[channels]));
        nodes.Add(
            OnnxNodes.Node(
                "DequantizeLinear",
                stem + "/dequantize",
                [stem + "/int8", stem + "/scale", stem + "/zero_point"],
                [stem + "/dq"],
                ("axis", 0)
            )
        );
        return (stem + "/dq", scales);
    }

    /// <summary>The bias as int32 at scale input scale × weight scale, as QLinearConv takes it.</summary>
    private string Bias(
        string name,
        string convolution,
        string folder,
        float inputScale,
        float[] weightScales,
        List<ProtoMessage> added,
        List<ProtoMessage> nodes
    )
    {
        var values = OnnxTensors.Floats(_byName[name], folder);
        if (values.Length != weightScales.Length)
            throw new InvalidDataException(
                $"bias '{name}' holds {values.Length} values for {weightScales.Length} channels: the model is damaged"
            );
        var scales = weightScales.Select(s => inputScale * s).ToArray();
        var int32 = values
            .Select((b, c) => (int)Math.Clamp(Math.Round((double)b / scales[c]), int.MinValue, int.MaxValue))
            .ToArray();
        string stem = Prefix + convolution + "/bias";
        added.Add(
            OnnxTensors.Create(
                stem + "/int32",
                F.TypeInt32,
                [values.Length],
                MemoryMarshal.AsBytes(int32.AsSpan()).ToArray()
            )
        );
        added.Add(OnnxTensors.Floats(stem + "/scale", [values.Length], scales));
        nodes.Add(
            OnnxNodes.Node(
                "DequantizeLinear",
                stem + "/dequantize",
                [stem + "/int32", stem + "/scale"],
                [stem + "/dq"],
                ("axis", 0)
            )
        );
        return stem + "/dq";
    }

    /// <summary>The node with new inputs and its first output renamed; attributes and the rest kept.</summary>
    private static ProtoMessage Rewired(ProtoMessage node, List<string> inputs, string output)
    {
        var copy = new ProtoMessage();
        copy.Fields.AddRange(inputs.Select(i => ProtoField.Of(F.NodeInput, i)));
        copy.Fields.Add(ProtoField.Of(F.NodeOutput, output));
        copy.Fields.AddRange(node.Fields.Where(f => f.Number is not (F.NodeInput or F.NodeOutput)));
        return copy;
    }

    private ProtoMessage Rebuilt(List<ProtoMessage> nodes, List<ProtoMessage> added, List<string> replacedReads)
    {
        // A float constant goes once no node reads it any more.
        var replaced = replacedReads
            .GroupBy(r => r)
            .Where(g => g.Count() == _uses.GetValueOrDefault(g.Key))
            .Select(g => g.Key)
            .ToHashSet();
        var kept = _initializers.Where(t => !replaced.Contains(OnnxTensors.Name(t)));
        return OnnxGraph.Rebuilt(_graph, nodes, kept.Concat(added), replaced);
    }
}
