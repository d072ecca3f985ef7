namespace Amil.MLNet.Experiments;

/// <summary>
/// The map that does not mislead: the evidence for the tumour classes — each tumour class's own map for class-aware
/// models (additive contributions as they are; CLAM's branch attention × p(class)), the model's map × p(class)
/// otherwise — with attention counted as N·a (1 = a uniform share) so items with different patch counts compare, on
/// one scale shared by every item shown (0 to the 99th percentile of their positive values). An item the model calls
/// tumour-free then stays cool, where a per-item min–max would paint its most attended glands red.
/// </summary>
public static class TumourEvidence
{
    /// <summary>The evidence of each patch.</summary>
    public static float[] Values(ScoredImage s, IReadOnlyList<string> classes, IReadOnlyList<string> tumourClasses)
    {
        var sum = new float[s.Map.Length];
        foreach (var c in tumourClasses)
        {
            int k = classes.ToList().IndexOf(c);
            if (k < 0)
                throw new ArgumentException(
                    $"Class '{c}' is not one of the model's classes ({string.Join(", ", classes)})."
                );
            var values = Relative(s, s.ClassMaps is not null ? s.MapOf(k) : s.Map);
            float weight = s.MapKind is MapKind.Contribution or MapKind.InstanceScore ? 1f : s.Probabilities[k];
            for (int i = 0; i < sum.Length; i++)
                sum[i] += values[i] * weight;
        }
        return sum;
    }

    /// <summary>Attention-like maps as N·a (1 = a uniform share); contributions and Grad-CAM as they are.</summary>
    public static float[] Relative(ScoredImage s, float[] values) =>
        s.MapKind is MapKind.Attention or MapKind.ClassAttention
            ? values.Select(v => v * values.Length).ToArray()
            : values;

    /// <summary>The top of a shared scale: the 99th percentile of the positive values of every item (0 when none is
    /// positive).</summary>
    public static float SharedTop(IEnumerable<float[]> items)
    {
        var positive = items.SelectMany(v => v).Where(v => v > 0 && float.IsFinite(v)).ToArray();
        if (positive.Length == 0)
            return 0;
        Array.Sort(positive);
        return positive[(int)Math.Min(positive.Length - 1, Math.Floor(0.99 * positive.Length))];
    }

    /// <summary>Values over a shared top, in [0, 1].</summary>
    public static float[] OnScale(float[] values, float top) =>
        values.Select(v => top > 0 ? Math.Clamp(v / top, 0f, 1f) : 0f).ToArray();

    /// <summary>What the evidence is, e.g. "attention × p(malignant)" or "contribution of malignant".</summary>
    public static string Describe(MapKind kind, IReadOnlyList<string> tumourClasses)
    {
        string tumour = string.Join(" + ", tumourClasses);
        return kind.HasClassMaps() ? $"{kind.Name()} of {tumour}" : $"{kind.Name()} × p({tumour})";
    }
}
