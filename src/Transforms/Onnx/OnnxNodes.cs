namespace Amil.MLNet.Transforms.Onnx;

/// <summary>Building ONNX nodes and reading their attributes (NodeProto, AttributeProto).</summary>
internal static class OnnxNodes
{
    /// <summary>A node of the standard domain with whole-number attributes.</summary>
    public static ProtoMessage Node(
        string op,
        string name,
        IEnumerable<string> inputs,
        IEnumerable<string> outputs,
        params (string Name, long Value)[] attributes
    )
    {
        var node = new ProtoMessage();
        node.Fields.AddRange(inputs.Select(i => ProtoField.Of(OnnxFields.NodeInput, i)));
        node.Fields.AddRange(outputs.Select(o => ProtoField.Of(OnnxFields.NodeOutput, o)));
        node.Fields.Add(ProtoField.Of(OnnxFields.NodeName, name));
        node.Fields.Add(ProtoField.Of(OnnxFields.NodeOpType, op));
        foreach (var a in attributes)
        {
            var attribute = new ProtoMessage();
            attribute.Fields.Add(ProtoField.Of(OnnxFields.AttributeName, a.Name));
            attribute.Fields.Add(ProtoField.Of(OnnxFields.AttributeInt, (ulong)a.Value));
            attribute.Fields.Add(ProtoField.Of(OnnxFields.AttributeType, OnnxFields.AttributeTypeInt));
            node.Fields.Add(ProtoField.Of(OnnxFields.NodeAttribute, attribute));
        }
        return node;
    }

    public static string Op(ProtoMessage node) => node.Text(OnnxFields.NodeOpType) ?? "";

    /// <summary>True for a node of ONNX's own operator set (no custom domain).</summary>
    public static bool IsStandard(ProtoMessage node) => string.IsNullOrEmpty(node.Text(OnnxFields.NodeDomain));

    public static List<string> Inputs(ProtoMessage node) => [.. node.All(OnnxFields.NodeInput).Select(f => f.Text)];

    public static List<string> Outputs(ProtoMessage node) => [.. node.All(OnnxFields.NodeOutput).Select(f => f.Text)];

    public static ProtoMessage? Attribute(ProtoMessage node, string name) =>
        node.All(OnnxFields.NodeAttribute)
            .Select(f => f.Message)
            .FirstOrDefault(a => a.Text(OnnxFields.AttributeName) == name);

    public static long Int(ProtoMessage node, string name, long fallback = 0) =>
        Attribute(node, name) is { } a ? (long)a.Varint(OnnxFields.AttributeInt) : fallback;

    public static float Float(ProtoMessage node, string name, float fallback = 1f) =>
        Attribute(node, name)?.First(OnnxFields.AttributeFloat) is { } f
            ? BitConverter.UInt32BitsToSingle((uint)f.Value)
            : fallback;

    /// <summary>The version of ONNX's own operator set a model imports (0 when it imports none).</summary>
    public static long Opset(ProtoMessage model) =>
        (long)(
            model
                .All(OnnxFields.ModelOpset)
                .Select(f => f.Message)
                .FirstOrDefault(o => string.IsNullOrEmpty(o.Text(OnnxFields.OpsetDomain)))
                ?.Varint(OnnxFields.OpsetVersion)
            ?? 0
        );

    /// <summary>Names a graph output or a subgraph (If/Loop/Scan bodies) reads: a weight among them is not one
    /// node's alone, so it stays as it is.</summary>
    public static HashSet<string> ReadElsewhere(ProtoMessage graph)
    {
        var names = graph
            .All(OnnxFields.GraphOutput)
            .Select(o => o.Message.Text(OnnxFields.ValueInfoName) ?? "")
            .ToHashSet();
        void Subgraphs(ProtoMessage g)
        {
            foreach (var node in g.All(OnnxFields.GraphNode).Select(n => n.Message))
            foreach (var attribute in node.All(OnnxFields.NodeAttribute).Select(a => a.Message))
            foreach (
                var body in attribute.All(OnnxFields.AttributeGraph).Concat(attribute.All(OnnxFields.AttributeGraphs))
            )
            {
                var inner = body.Message;
                names.UnionWith(
                    inner
                        .All(OnnxFields.GraphNode)
                        .SelectMany(n => n.Message.All(OnnxFields.NodeInput).Select(i => i.Text))
                );
                Subgraphs(inner);
            }
        }
        Subgraphs(graph);
        return names;
    }
}
