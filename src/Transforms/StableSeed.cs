namespace Amil.MLNet.Transforms;

/// <summary>
/// Derives seeds from several numbers the same way in every process. (<see cref="HashCode.Combine{T1,T2}"/> is
/// randomised per process, so seeds built with it would make "same seed, same data" hold only within one process.)
/// </summary>
public static class StableSeed
{
    /// <summary>One seed from <paramref name="values"/>, the same in every process and on every machine.</summary>
    public static int Mix(params int[] values)
    {
        ulong h = 0x9E3779B97F4A7C15UL;
        foreach (int v in values)
        {
            // SplitMix64 finaliser over the running state and each value.
            h ^= (uint)v;
            h += 0x9E3779B97F4A7C15UL;
            h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
            h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
            h ^= h >> 31;
        }
        return (int)(h & 0x7FFFFFFF);
    }
}
