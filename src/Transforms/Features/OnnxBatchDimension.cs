namespace Amil.MLNet.Transforms.Features;

/// <summary>
/// Rewrites an ONNX model so its graph inputs, outputs and value infos take any batch size: the first dimension of each
/// declared shape becomes the symbolic "N". The packaged ResNet18 declares batch 1, so ONNX Runtime would refuse a
/// batch; its convolutions and pooling do not care. Works on the protobuf wire format directly (no ONNX schema classes
/// needed): ModelProto.graph = 7; GraphProto.input/output/value_info = 11/12/13; ValueInfoProto.type = 2;
/// TypeProto.tensor_type = 1; Tensor.shape = 2; TensorShapeProto.dim = 1; Dimension.dim_param = 2.
/// </summary>
internal static class OnnxBatchDimension
{
    public static byte[] MakeDynamic(byte[] model) =>
        Rewrite(
            model,
            (field, graph) =>
                field != 7
                    ? null
                    : Rewrite(graph, (f, valueInfo) => f is 11 or 12 or 13 ? FirstDimensionSymbolic(valueInfo) : null)
        );

    private static byte[] FirstDimensionSymbolic(byte[] valueInfo) =>
        Rewrite(
            valueInfo,
            (f, type) =>
                f != 2
                    ? null
                    : Rewrite(
                        type,
                        (f2, tensor) =>
                            f2 != 1 ? null : Rewrite(tensor, (f3, shape) => f3 != 2 ? null : ReplaceFirstDim(shape))
                    )
        );

    private static byte[] ReplaceFirstDim(byte[] shape)
    {
        bool done = false;
        return Rewrite(
            shape,
            (field, _) =>
            {
                if (field != 1 || done)
                    return null;
                done = true;
                return [(2 << 3) | 2, 1, (byte)'N']; // Dimension { dim_param: "N" }
            }
        );
    }

    /// <summary>Copies a message, replacing the payload of length-delimited fields where <paramref name="replace"/>
    /// returns bytes.</summary>
    private static byte[] Rewrite(byte[] message, Func<int, byte[], byte[]?> replace)
    {
        var output = new List<byte>(message.Length + 16);
        int p = 0;
        while (p < message.Length)
        {
            int start = p;
            ulong key = ReadVarint(message, ref p);
            int field = (int)(key >> 3),
                wire = (int)(key & 7);
            switch (wire)
            {
                case 0:
                    ReadVarint(message, ref p);
                    break;
                case 1:
                    p += 8;
                    break;
                case 5:
                    p += 4;
                    break;
                case 2:
                {
                    int length = checked((int)ReadVarint(message, ref p));
                    var payload = message[p..(p + length)];
                    p += length;
                    if (replace(field, payload) is { } replacement)
                    {
                        WriteVarint(output, key);
                        WriteVarint(output, (ulong)replacement.Length);
                        output.AddRange(replacement);
                        continue;
                    }
                    break;
                }
                default:
                    throw new InvalidDataException(
                        $"Unexpected protobuf wire type {wire} in the ONNX model; the file is not a valid ONNX model."
                    );
            }
            output.AddRange(message.AsSpan(start, p - start));
        }
        return output.ToArray();
    }

    private static ulong ReadVarint(byte[] b, ref int p)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte x = b[p++];
            value |= (ulong)(x & 0x7f) << shift;
            if ((x & 0x80) == 0)
                return value;
        }
    }

    private static void WriteVarint(List<byte> output, ulong value)
    {
        while (value >= 0x80)
        {
            output.Add((byte)(value | 0x80));
            value >>= 7;
        }
        output.Add((byte)value);
    }
}
