using Amil.MLNet.Transforms.Stain;

namespace Amil.MLNet.Transforms.Persistence;

/// <summary>A stain reference in a saved state vector: [method, value count, values…]; method None (no values) when
/// colours stay as scanned.</summary>
/// <remarks>Infrastructure shared by the Amil.MLNet packages, public so that none needs another's internals; not
/// meant to be called from your code, and it may change in any version.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class StainState
{
    /// <summary>The reference as floats (<paramref name="stain"/> null: method None).</summary>
    public static float[] Encode(StainProfile? stain) =>
        [(float)(stain?.Method ?? StainMethod.None), stain?.Values.Count ?? 0, .. stain?.Values ?? []];

    /// <summary>The reference at <paramref name="at"/>, which moves past it; <paramref name="what"/> names the saved
    /// state in messages ("tiling", "bagging").</summary>
    /// <exception cref="InvalidDataException">The state ends before the reference or inside it.</exception>
    public static StainProfile? Decode(ReadOnlySpan<float> payload, ref int at, string what)
    {
        if (at + 2 > payload.Length)
            throw new InvalidDataException($"The model's saved {what} is damaged (it ends before its stain).");
        var method = (StainMethod)(int)payload[at];
        int count = (int)payload[at + 1];
        if (count < 0 || at + 2 + count > payload.Length)
            throw new InvalidDataException(
                $"The model's saved {what} is damaged (its stain reference runs past its end)."
            );
        var stain =
            method == StainMethod.None ? null : new StainProfile(method, payload.Slice(at + 2, count).ToArray());
        at += 2 + count;
        return stain;
    }
}
