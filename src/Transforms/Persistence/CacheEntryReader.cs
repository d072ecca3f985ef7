using System.Buffers.Binary;
using System.Text;

namespace Amil.MLNet.Transforms.Persistence;

/// <summary>Reads a feature cache entry front to back: magic and version, little-endian ints, the settings text, then
/// the features. Every read is checked against the entry's length, so a truncated entry reads as "not there"
/// (<see cref="Valid"/> false) instead of throwing.</summary>
internal sealed class CacheEntryReader(byte[] bytes)
{
    private int _position;

    /// <summary>False once a read ran past the end or a check failed.</summary>
    public bool Valid { get; private set; } = true;

    public int Remaining => bytes.Length - _position;

    /// <summary>The version that follows <paramref name="magic"/> at the entry's start; -1 when the entry does not
    /// start so.</summary>
    public int Version(ReadOnlySpan<byte> magic)
    {
        Valid &= bytes.Length >= magic.Length + 4 && bytes.AsSpan(0, magic.Length).SequenceEqual(magic);
        if (!Valid)
            return -1;
        _position = magic.Length;
        return Int();
    }

    public int Int()
    {
        if (Remaining < 4)
        {
            Valid = false;
            return 0;
        }
        int value = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(_position));
        _position += 4;
        return value;
    }

    /// <summary>UTF-8 text of <paramref name="length"/> bytes (null when it does not fit).</summary>
    public string? Text(int length)
    {
        if (length < 0 || length > Remaining)
        {
            Valid = false;
            return null;
        }
        var text = Encoding.UTF8.GetString(bytes, _position, length);
        _position += length;
        return text;
    }

    /// <summary>The rest of the entry as exactly <paramref name="count"/> floats (null otherwise).</summary>
    public float[]? FloatsToEnd(long count)
    {
        if (!Valid || count <= 0 || Remaining != count * sizeof(float))
            return null;
        var values = new float[count];
        bytes.AsSpan(_position).CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        _position = bytes.Length;
        return values;
    }
}
