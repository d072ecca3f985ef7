using System.Runtime.InteropServices;

namespace Amil.MLNet.Transforms.Onnx;

/// <summary>The ONNX field numbers this code reads and writes (onnx.proto: ModelProto, GraphProto, NodeProto,
/// AttributeProto, TensorProto, OperatorSetIdProto, ValueInfoProto, TypeProto, TensorShapeProto).</summary>
internal static class OnnxFields
{
    public const int ModelIrVersion = 1,
        ModelOpset = 8,
        ModelGraph = 7;
    public const int GraphNode = 1,
        GraphInitializer = 5,
        GraphInput = 11,
        GraphOutput = 12,
        GraphValueInfo = 13;
    public const int NodeInput = 1,
        NodeOutput = 2,
        NodeName = 3,
        NodeOpType = 4,
        NodeAttribute = 5,
        NodeDomain = 7;
    public const int AttributeName = 1,
        AttributeFloat = 2,
        AttributeInt = 3,
        AttributeGraph = 6,
        AttributeGraphs = 11,
        AttributeType = 20,
        AttributeTypeInt = 2;
    public const int TensorDims = 1,
        TensorDataType = 2,
        TensorFloatData = 4,
        TensorName = 8,
        TensorRawData = 9,
        TensorExternalData = 13,
        TensorDataLocation = 14;
    public const int OpsetDomain = 1,
        OpsetVersion = 2;
    public const int ValueInfoName = 1,
        ValueInfoType = 2;
    public const int TypeTensor = 1,
        TensorTypeShape = 2,
        ShapeDim = 1,
        DimParam = 2;
    public const int TypeFloat = 1,
        TypeUInt8 = 2,
        TypeInt8 = 3,
        TypeInt32 = 6;
}

/// <summary>Reading and writing the tensors of an ONNX graph (initializers), including those kept as external
/// data.</summary>
internal static class OnnxTensors
{
    public static string Name(ProtoMessage tensor) => tensor.Text(OnnxFields.TensorName) ?? "";

    public static long[] Dims(ProtoMessage tensor) => [.. tensor.Int64s(OnnxFields.TensorDims)];

    public static int DataType(ProtoMessage tensor) => (int)tensor.Varint(OnnxFields.TensorDataType);

    public static bool IsExternal(ProtoMessage tensor) => tensor.Varint(OnnxFields.TensorDataLocation) == 1;

    /// <summary>The tensor's bytes as stored (little-endian): raw data, packed floats, or its external file's
    /// part.</summary>
    /// <exception cref="InvalidDataException">The external file is missing or shorter than the tensor says.</exception>
    public static ReadOnlyMemory<byte> Bytes(ProtoMessage tensor, string modelFolder)
    {
        if (IsExternal(tensor))
            return External(tensor, modelFolder);
        if (tensor.First(OnnxFields.TensorRawData) is { } raw)
            return raw.Bytes;
        // float_data: packed (length-delimited, the same little-endian bytes) or one fixed32 field per value.
        var bytes = new List<byte>();
        foreach (var f in tensor.All(OnnxFields.TensorFloatData))
            if (f.WireType == ProtoField.Delimited)
                bytes.AddRange(f.Bytes.Span);
            else
                bytes.AddRange(BitConverter.GetBytes((uint)f.Value));
        return bytes.ToArray();
    }

    public static float[] Floats(ProtoMessage tensor, string modelFolder) =>
        MemoryMarshal.Cast<byte, float>(Bytes(tensor, modelFolder).Span).ToArray();

    /// <summary>The external data files the tensors name, each once.</summary>
    public static IEnumerable<string> ExternalFiles(IEnumerable<ProtoMessage> tensors, string modelFolder) =>
        tensors.Where(IsExternal).Select(t => Path.Combine(modelFolder, Location(t)["location"])).Distinct();

    /// <summary>A tensor with its bytes inline.</summary>
    public static ProtoMessage Create(string name, int dataType, IReadOnlyList<long> dims, ReadOnlyMemory<byte> raw)
    {
        var tensor = new ProtoMessage();
        if (dims.Count > 0)
            tensor.Fields.Add(ProtoField.Of(OnnxFields.TensorDims, ProtoMessage.Packed(dims)));
        tensor.Fields.Add(ProtoField.Of(OnnxFields.TensorDataType, (ulong)dataType));
        tensor.Fields.Add(ProtoField.Of(OnnxFields.TensorName, name));
        tensor.Fields.Add(ProtoField.Of(OnnxFields.TensorRawData, raw));
        return tensor;
    }

    public static ProtoMessage Floats(string name, IReadOnlyList<long> dims, float[] values) =>
        Create(name, OnnxFields.TypeFloat, dims, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>The same tensor with its external bytes brought inline, so the model no longer needs its data
    /// file.</summary>
    public static ProtoMessage Inline(ProtoMessage tensor, string modelFolder) =>
        Create(Name(tensor), DataType(tensor), Dims(tensor), Bytes(tensor, modelFolder));

    private static Dictionary<string, string> Location(ProtoMessage tensor)
    {
        var entries = tensor
            .All(OnnxFields.TensorExternalData)
            .Select(f => f.Message)
            .ToDictionary(e => e.Text(1) ?? "", e => e.Text(2) ?? "");
        entries.TryAdd("location", "");
        return entries;
    }

    private static byte[] External(ProtoMessage tensor, string modelFolder)
    {
        var entries = Location(tensor);
        string folder = Path.GetFullPath(modelFolder);
        string location = Path.GetFullPath(Path.Combine(folder, entries["location"]));
        // As ONNX Runtime does: external data lies beside the model, never elsewhere on the disk.
        if (Path.IsPathRooted(entries["location"]) || !location.StartsWith(folder + Path.DirectorySeparatorChar))
            throw new InvalidDataException(
                $"tensor '{Name(tensor)}' names external data outside the model's folder ({entries["location"]})"
            );
        long offset = long.Parse(
            entries.GetValueOrDefault("offset", "0"),
            System.Globalization.CultureInfo.InvariantCulture
        );
        if (!System.IO.File.Exists(location))
            throw new InvalidDataException($"the external data of tensor '{Name(tensor)}', {location}, is missing");
        using var file = System.IO.File.OpenRead(location);
        long length = entries.TryGetValue("length", out var given)
            ? long.Parse(given, System.Globalization.CultureInfo.InvariantCulture)
            : file.Length - offset;
        if (offset < 0 || length < 0 || offset + length > file.Length)
            throw new InvalidDataException(
                $"the external data of tensor '{Name(tensor)}' lies past the end of {location}"
            );
        var bytes = new byte[length];
        file.Position = offset;
        file.ReadExactly(bytes);
        return bytes;
    }
}
