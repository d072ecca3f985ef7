namespace Amil.MLNet.Transforms.Onnx;

/// <summary>A graph (GraphProto) written again with new nodes and initializers, every other field kept in place.
/// </summary>
internal static class OnnxGraph
{
    /// <summary>The graph with <paramref name="nodes"/> where its nodes were, <paramref name="initializers"/> where
    /// its initializers were (after the rest when it had none), and without the graph inputs named in
    /// <paramref name="removed"/> (older models list their weights as inputs too).</summary>
    public static ProtoMessage Rebuilt(
        ProtoMessage graph,
        IEnumerable<ProtoMessage> nodes,
        IEnumerable<ProtoMessage> initializers,
        IReadOnlySet<string> removed
    )
    {
        var rebuilt = new ProtoMessage();
        bool nodesWritten = false,
            tensorsWritten = false;
        foreach (var field in graph.Fields)
            if (field.Number == OnnxFields.GraphNode)
            {
                if (!nodesWritten)
                    rebuilt.Fields.AddRange(nodes.Select(n => ProtoField.Of(OnnxFields.GraphNode, n)));
                nodesWritten = true;
            }
            else if (field.Number == OnnxFields.GraphInitializer)
            {
                if (!tensorsWritten)
                    rebuilt.Fields.AddRange(initializers.Select(t => ProtoField.Of(OnnxFields.GraphInitializer, t)));
                tensorsWritten = true;
            }
            else if (
                field.Number != OnnxFields.GraphInput
                || !removed.Contains(field.Message.Text(OnnxFields.ValueInfoName) ?? "")
            )
                rebuilt.Fields.Add(field);
        if (!tensorsWritten)
            rebuilt.Fields.AddRange(initializers.Select(t => ProtoField.Of(OnnxFields.GraphInitializer, t)));
        return rebuilt;
    }

    /// <summary>How many times the graph's own nodes read each name (subgraphs not counted: see
    /// <see cref="OnnxNodes.ReadElsewhere"/>).</summary>
    public static Dictionary<string, int> Reads(IEnumerable<ProtoMessage> nodes) =>
        nodes.SelectMany(OnnxNodes.Inputs).GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());
}
