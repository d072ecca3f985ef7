namespace Amil.MLNet.Transforms.Onnx;

/// <summary>
/// Rewrites an ONNX model so its graph inputs, outputs and value infos take any batch size: the first dimension of each
/// declared shape becomes the symbolic "N". The packaged ResNet18 declares batch 1, so ONNX Runtime would refuse a
/// batch; its convolutions and pooling do not care.
/// </summary>
internal static class OnnxBatchDimension
{
    public static byte[] MakeDynamic(byte[] model) => MakeDynamic(ProtoMessage.Parse(model)).ToBytes();

    /// <summary>The same, on a model already read; it is edited in place and returned.</summary>
    public static ProtoMessage MakeDynamic(ProtoMessage parsed)
    {
        if (parsed.First(OnnxFields.ModelGraph) is not { } graphField)
            return parsed;
        var graph = graphField.Message;
        for (int i = 0; i < graph.Fields.Count; i++)
            if (graph.Fields[i].Number is OnnxFields.GraphInput or OnnxFields.GraphOutput or OnnxFields.GraphValueInfo)
                graph.Fields[i] = ProtoField.Of(
                    graph.Fields[i].Number,
                    FirstDimensionSymbolic(graph.Fields[i].Message)
                );
        parsed.Fields[parsed.Fields.IndexOf(graphField)] = ProtoField.Of(OnnxFields.ModelGraph, graph);
        return parsed;
    }

    /// <summary>ValueInfoProto.type → TypeProto.tensor_type → shape → its first dim, made Dimension { dim_param: "N"
    /// }; a value of any other type is left as it is.</summary>
    private static ProtoMessage FirstDimensionSymbolic(ProtoMessage valueInfo) =>
        Edit(
            valueInfo,
            OnnxFields.ValueInfoType,
            type =>
                Edit(
                    type,
                    OnnxFields.TypeTensor,
                    tensor =>
                        Edit(
                            tensor,
                            OnnxFields.TensorTypeShape,
                            shape => Edit(shape, OnnxFields.ShapeDim, _ => Symbolic)
                        )
                )
        );

    private static ProtoMessage Symbolic
    {
        get
        {
            var dim = new ProtoMessage();
            dim.Fields.Add(ProtoField.Of(OnnxFields.DimParam, "N"));
            return dim;
        }
    }

    /// <summary>The message with its first field <paramref name="number"/> replaced by <paramref name="edit"/> of it
    /// (unchanged when it has none).</summary>
    private static ProtoMessage Edit(ProtoMessage message, int number, Func<ProtoMessage, ProtoMessage> edit)
    {
        int i = message.Fields.FindIndex(f => f.Number == number);
        if (i >= 0)
            message.Fields[i] = ProtoField.Of(number, edit(message.Fields[i].Message));
        return message;
    }
}
