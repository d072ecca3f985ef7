namespace Amil.MLNet.Transforms.Persistence;

/// <summary>
/// A component's state as a float vector, so that ML.NET's own persistable ValueMapping can store it inside model.zip.
/// Layout: [magic, kind, version, payload…]. Integers are stored exactly up to 2^24.
/// </summary>
internal static class StateBlob
{
    private const float Magic = 2718281f;
    public const int HeaderLength = 3;

    public static float[] Create(StateKind kind, int version, ReadOnlySpan<float> payload)
    {
        var blob = new float[HeaderLength + payload.Length];
        blob[0] = Magic;
        blob[1] = (float)kind;
        blob[2] = version;
        payload.CopyTo(blob.AsSpan(HeaderLength));
        return blob;
    }

    /// <summary>Checks the header and returns the payload; throws with a clear message for a foreign or newer
    /// blob.</summary>
    public static ReadOnlySpan<float> Open(ReadOnlySpan<float> blob, StateKind kind, int maxVersion, out int version)
    {
        if (blob.Length < HeaderLength || blob[0] != Magic)
            throw new InvalidDataException(
                "The model holds no Amil.MLNet state where one was expected; was it saved by Amil.MLNet?"
            );
        if (blob[1] != (float)kind)
            throw new InvalidDataException($"The model's state is a {(StateKind)(int)blob[1]}, expected a {kind}.");
        version = (int)blob[2];
        if (version > maxVersion)
            throw new InvalidDataException(
                $"The model's {kind} state is format version {version}; this Amil.MLNet reads up to {maxVersion}. "
                    + "Update Amil.MLNet."
            );
        return blob[HeaderLength..];
    }
}

internal enum StateKind
{
    PatchBagging = 1,
    AttentionMilNetwork = 2,
    PatchFeatures = 3,
    SlideTiles = 4,
}

/// <summary>Text in a state vector: its length, then one UTF-16 code unit per float (exact: below 2^24).</summary>
internal static class StateText
{
    public static float[] Encode(string text) => [text.Length, .. text.Select(c => (float)c)];

    public static string Decode(ReadOnlySpan<float> payload, ref int at)
    {
        int length = (int)payload[at++];
        if (length < 0 || at + length > payload.Length)
            throw new InvalidDataException("The model's saved state is damaged (a text runs past its end).");
        var chars = new char[length];
        for (int i = 0; i < length; i++)
            chars[i] = (char)payload[at + i];
        at += length;
        return new string(chars);
    }
}
