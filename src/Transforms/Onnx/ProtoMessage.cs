using System.Text;

namespace Amil.MLNet.Transforms.Onnx;

/// <summary>One field of a protocol-buffer message as it is on the wire: its number, and either a varint, a fixed
/// 32/64-bit value or length-delimited bytes (a string, packed numbers or a nested message). Bytes read are slices of
/// the file's one buffer, and a nested message built in code is written straight to the output, so editing a model
/// of a gigabyte holds it about once.</summary>
internal sealed record ProtoField(int Number, int WireType, ulong Value, ReadOnlyMemory<byte> Bytes)
{
    /// <summary>A nested message built in code (null: <see cref="Bytes"/> holds the field).</summary>
    public ProtoMessage? Nested { get; init; }

    public const int Varint = 0,
        Fixed64 = 1,
        Delimited = 2,
        Fixed32 = 5;

    public static ProtoField Of(int number, ulong value) => new(number, Varint, value, default);

    public static ProtoField Of(int number, ReadOnlyMemory<byte> bytes) => new(number, Delimited, 0, bytes);

    public static ProtoField Of(int number, string text) => Of(number, Encoding.UTF8.GetBytes(text));

    public static ProtoField Of(int number, ProtoMessage message) =>
        new(number, Delimited, 0, default) { Nested = message };

    public string Text => Nested is null ? Encoding.UTF8.GetString(Bytes.Span) : "";

    public ProtoMessage Message => Nested ?? ProtoMessage.Parse(Bytes);

    /// <summary>Bytes of the payload as written (length-delimited fields).</summary>
    public long PayloadLength => Nested?.Size() ?? Bytes.Length;
}

/// <summary>
/// A protocol-buffer message as an ordered list of its fields, read and written without a schema: enough to edit an
/// ONNX model (<see cref="OnnxFields"/> names the fields used) while every field this code does not know is carried
/// through unchanged.
/// </summary>
internal sealed class ProtoMessage
{
    public List<ProtoField> Fields { get; } = [];

    public IEnumerable<ProtoField> All(int number) => Fields.Where(f => f.Number == number);

    public ProtoField? First(int number) => Fields.FirstOrDefault(f => f.Number == number);

    public string? Text(int number) => First(number)?.Text;

    public ulong Varint(int number, ulong fallback = 0) => First(number)?.Value ?? fallback;

    /// <exception cref="InvalidDataException">The bytes are not a protocol-buffer message.</exception>
    public static ProtoMessage Parse(ReadOnlyMemory<byte> memory)
    {
        var message = new ProtoMessage();
        var bytes = memory.Span;
        int at = 0;
        while (at < bytes.Length)
        {
            ulong tag = ReadVarint(bytes, ref at);
            int number = (int)(tag >> 3),
                wire = (int)(tag & 7);
            message.Fields.Add(
                wire switch
                {
                    ProtoField.Varint => ProtoField.Of(number, ReadVarint(bytes, ref at)),
                    ProtoField.Fixed64 => new(number, wire, Read(bytes, ref at, 8), default),
                    ProtoField.Fixed32 => new(number, wire, Read(bytes, ref at, 4), default),
                    ProtoField.Delimited => ProtoField.Of(number, Take(memory, ref at)),
                    _ => throw new InvalidDataException($"wire type {wire} of field {number} is not supported"),
                }
            );
        }
        return message;
    }

    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        WriteTo(stream);
        return stream.ToArray();
    }

    public void WriteTo(Stream stream)
    {
        foreach (var f in Fields)
        {
            WriteVarint(stream, ((ulong)f.Number << 3) | (uint)f.WireType);
            switch (f.WireType)
            {
                case ProtoField.Varint:
                    WriteVarint(stream, f.Value);
                    break;
                case ProtoField.Fixed64:
                case ProtoField.Fixed32:
                    for (int i = 0; i < (f.WireType == ProtoField.Fixed64 ? 8 : 4); i++)
                        stream.WriteByte((byte)(f.Value >> (8 * i)));
                    break;
                default:
                    WriteVarint(stream, (ulong)f.PayloadLength);
                    if (f.Nested is { } nested)
                        nested.WriteTo(stream);
                    else
                        stream.Write(f.Bytes.Span);
                    break;
            }
        }
    }

    /// <summary>The bytes <see cref="WriteTo"/> writes.</summary>
    public long Size()
    {
        long size = 0;
        foreach (var f in Fields)
        {
            size += VarintLength(((ulong)f.Number << 3) | (uint)f.WireType);
            size += f.WireType switch
            {
                ProtoField.Varint => VarintLength(f.Value),
                ProtoField.Fixed64 => 8,
                ProtoField.Fixed32 => 4,
                _ => VarintLength((ulong)f.PayloadLength) + f.PayloadLength,
            };
        }
        return size;
    }

    private static int VarintLength(ulong value)
    {
        int length = 1;
        for (; value >= 0x80; value >>= 7)
            length++;
        return length;
    }

    /// <summary>Packed or repeated varints of a field (protobuf writers may use either).</summary>
    public List<long> Int64s(int number)
    {
        var values = new List<long>();
        foreach (var f in All(number))
            if (f.WireType == ProtoField.Varint)
                values.Add((long)f.Value);
            else
                for (int at = 0; at < f.Bytes.Length; )
                    values.Add((long)ReadVarint(f.Bytes.Span, ref at));
        return values;
    }

    public static byte[] Packed(IEnumerable<long> values)
    {
        using var stream = new MemoryStream();
        foreach (var v in values)
            WriteVarint(stream, (ulong)v);
        return stream.ToArray();
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> bytes, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (at >= bytes.Length)
                throw new InvalidDataException("a varint runs past the end of the message");
            byte b = bytes[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
        throw new InvalidDataException("a varint is longer than 10 bytes");
    }

    private static ulong Read(ReadOnlySpan<byte> bytes, ref int at, int size)
    {
        if (at + size > bytes.Length)
            throw new InvalidDataException("a fixed-size value runs past the end of the message");
        ulong value = 0;
        for (int i = 0; i < size; i++)
            value |= (ulong)bytes[at + i] << (8 * i);
        at += size;
        return value;
    }

    private static ReadOnlyMemory<byte> Take(ReadOnlyMemory<byte> memory, ref int at)
    {
        ulong length = ReadVarint(memory.Span, ref at);
        if (length > (ulong)(memory.Length - at))
            throw new InvalidDataException("a length-delimited field runs past the end of the message");
        var taken = memory.Slice(at, (int)length);
        at += (int)length;
        return taken;
    }

    private static void WriteVarint(Stream stream, ulong value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        stream.WriteByte((byte)value);
    }
}
