namespace Amil.MLNet.Trainers;

/// <summary>Scoring gave a probability, map value or feature that is not a finite number. Nothing is reported for
/// such an item: a NaN probability would otherwise become a class (the first one) without a word.</summary>
public sealed class NonFiniteScoreException(string item, string what)
    : Exception(
        $"{item}: scoring gave non-finite {what} (NaN or infinity); nothing is reported for it. "
            + Kernels.CpuKernels.Current.Describe()
            + $" Score it again with {Kernels.CpuKernels.EnvironmentVariable}=reference; if the values stay "
            + "non-finite, the model or the input is damaged (train again, or check the file)."
    )
{
    /// <summary>The image or slide.</summary>
    public string Item { get; } = item;

    /// <summary>Throws unless every value is finite.</summary>
    public static void ThrowUnlessFinite(string item, string what, ReadOnlySpan<float> values)
    {
        foreach (var v in values)
            if (!float.IsFinite(v))
                throw new NonFiniteScoreException(item, what);
    }

    /// <summary>Checks one scored image or slide: probabilities, map and class maps.</summary>
    public static ScoredImage Checked(ScoredImage scored)
    {
        ThrowUnlessFinite(scored.Path, "probabilities", scored.Probabilities);
        ThrowUnlessFinite(scored.Path, $"{scored.MapKind} map values", scored.Map);
        if (scored.ClassMaps is { } classMaps)
            ThrowUnlessFinite(scored.Path, "class map values", classMaps);
        return scored;
    }
}
