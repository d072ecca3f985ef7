namespace Amil.MLNet.Transforms.Persistence;

/// <summary>
/// A component's state as a float vector, so that ML.NET's own persistable ValueMapping can store it inside model.zip.
/// Layout: [magic, kind, version, payload…]. Integers are stored exactly up to 2^24.
/// </summary>
/// <remarks>Infrastructure shared by the Amil.MLNet packages, public so that none needs another's internals; not
/// meant to be called from your code, and it may change in any version.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class StateBlob
{
    private const float Magic = 2718281f;

    /// <summary>Floats before the payload: magic, kind, version.</summary>
    public const int HeaderLength = 3;

    /// <summary>A state vector of <paramref name="kind"/> and <paramref name="version"/> holding
    /// <paramref name="payload"/>.</summary>
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

/// <summary>Which component a saved state belongs to.</summary>
/// <remarks>Infrastructure shared by the Amil.MLNet packages, public so that none needs another's internals; not
/// meant to be called from your code, and it may change in any version.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public enum StateKind
{
    /// <summary>PatchBagging's settings.</summary>
    PatchBagging = 1,

    /// <summary>A trained network.</summary>
    AttentionMilNetwork = 2,

    /// <summary>ExtractPatchFeatures' settings.</summary>
    PatchFeatures = 3,

    /// <summary>TileSlides' settings.</summary>
    SlideTiles = 4,
}

/// <summary>Text in a state vector: its length, then one UTF-16 code unit per float (exact: below 2^24).</summary>
/// <remarks>Infrastructure shared by the Amil.MLNet packages, public so that none needs another's internals; not
/// meant to be called from your code, and it may change in any version.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class StateText
{
    /// <summary>The text as floats.</summary>
    public static float[] Encode(string text) => [text.Length, .. text.Select(c => (float)c)];

    /// <summary>The text at <paramref name="at"/>, which moves past it.</summary>
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
