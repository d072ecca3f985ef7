namespace Amil.MLNet.Application;

/// <summary>
/// The map that does not mislead: the evidence for the tumour classes — each tumour class's own map for class-aware
/// models (additive contributions as they are; CLAM's branch attention × p(class)), the model's map × p(class)
/// otherwise — with attention counted as N·a (1 = a uniform share) so items with different patch counts compare, on
/// one scale shared by every item shown (0 to the 99th percentile of their positive values). An item the model calls
/// tumour-free then stays cool, where a per-item min–max would paint its most attended glands red. The viewer, the
/// heatmaps and the localization metrics of images and slides all take their "map × p" from here, so a figure
/// measures the map that is drawn.
/// </summary>
public static class TumourEvidence
{
    /// <summary>The evidence of each patch: the sum over <paramref name="tumourClasses"/> of each class's weighted
    /// map (<see cref="Weighted"/>), attention as N·a.</summary>
    public static float[] Values(ScoredImage s, IReadOnlyList<string> classes, IReadOnlyList<string> tumourClasses)
    {
        var sum = new float[s.Map.Length];
        foreach (var (map, weight) in Weighted(s, classes, tumourClasses))
        {
            var values = Relative(s, map);
            for (int i = 0; i < sum.Length; i++)
                sum[i] += values[i] * weight;
        }
        return sum;
    }

    /// <summary>Each class's part of the evidence: its map × p(class), except contributions and instance scores,
    /// which already speak for their class and fade on their own where the model finds none of it (weight 1).</summary>
    private static IEnumerable<(float[] Map, float Weight)> Weighted(
        ScoredImage s,
        IReadOnlyList<string> classes,
        IReadOnlyList<string> tumourClasses
    ) => TimesProbability(s, classes, tumourClasses).Select(p => IsWeighted(s.MapKind) ? p : (p.Map, 1f));

    /// <summary>Each class's own map (the model's map for class-agnostic models) with p(class): the parts of "the
    /// map × p(class)" that a user asks for by name.</summary>
    public static IEnumerable<(float[] Map, float Weight)> TimesProbability(
        ScoredImage s,
        IReadOnlyList<string> classes,
        IReadOnlyList<string> weightClasses
    ) => weightClasses.Select(c => IndexOf(classes, c)).Select(k => (s.MapOf(k), s.Probabilities[k]));

    /// <summary>Whether the evidence multiplies the map by p(class).</summary>
    private static bool IsWeighted(MapKind kind) => kind is not (MapKind.Contribution or MapKind.InstanceScore);

    private static int IndexOf(IReadOnlyList<string> classes, string c) =>
        classes.ToList().IndexOf(c) is var k and >= 0
            ? k
            : throw new ArgumentException(
                $"Class '{c}' is not one of the model's classes ({string.Join(", ", classes)})."
            );

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

    /// <summary>What the evidence is, e.g. "attention × p(malignant)", "class-attention of malignant ×
    /// p(malignant)" or "contribution of malignant".</summary>
    public static string Describe(MapKind kind, IReadOnlyList<string> tumourClasses)
    {
        string tumour = string.Join(" + ", tumourClasses);
        string map = kind.HasClassMaps() ? $"{kind.Name()} of {tumour}" : kind.Name();
        return IsWeighted(kind) ? $"{map} × p({tumour})" : map;
    }
}
