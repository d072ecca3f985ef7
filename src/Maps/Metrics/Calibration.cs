using System.Text.Json.Serialization;

namespace Amil.MLNet.Maps.Metrics;

/// <summary>One bin of a reliability diagram: the predictions whose confidence (the top class's probability) falls
/// in [Low, High), how many, their mean confidence and how many of them were right.</summary>
public sealed record ReliabilityBin(
    [property: JsonPropertyName("low")] double Low,
    [property: JsonPropertyName("high")] double High,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("confidence")] double Confidence,
    [property: JsonPropertyName("accuracy")] double Accuracy
);

/// <summary>A point of the accuracy-against-coverage curve: the share of predictions kept, their accuracy, and the
/// largest uncertainty kept (abstain above it).</summary>
public sealed record CoveragePoint(
    [property: JsonPropertyName("coverage")] double Coverage,
    [property: JsonPropertyName("accuracy")] double Accuracy,
    [property: JsonPropertyName("uncertainty_at_most")] double UncertaintyAtMost
);

/// <summary>Do the probabilities mean what they say? Expected calibration error (Guo et al. 2017: equal-width bins of
/// the top-class confidence, the count-weighted gap between accuracy and confidence), the multiclass Brier score and
/// the reliability diagram's bins.</summary>
public static class Calibration
{
    /// <summary>Bins of the reliability diagram and of the ECE (Guo et al. use 15).</summary>
    public const int Bins = 15;

    /// <summary>Σ over bins of (n_b / N)·|accuracy_b − confidence_b|: 0 when every confidence is the accuracy of the
    /// predictions made with it.</summary>
    public static double ExpectedError(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> truth) =>
        ExpectedError(Diagram(probabilities, truth), probabilities.Count);

    /// <summary>The same, from a diagram of <paramref name="total"/> predictions.</summary>
    public static double ExpectedError(IReadOnlyList<ReliabilityBin> bins, int total) =>
        bins.Sum(b => b.Count * Math.Abs(b.Accuracy - b.Confidence)) / total;

    /// <summary>Mean over items of Σ_k (p_k − [k is the true class])²: 0 for certain and right, 2 for certain and
    /// wrong.</summary>
    public static double Brier(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> truth)
    {
        if (probabilities.Count == 0)
            throw new ArgumentException("No predictions to score.");
        double sum = 0;
        for (int i = 0; i < probabilities.Count; i++)
        for (int k = 0; k < probabilities[i].Length; k++)
        {
            double gap = probabilities[i][k] - (k == truth[i] ? 1 : 0);
            sum += gap * gap;
        }
        return sum / probabilities.Count;
    }

    /// <summary>How unsure a prediction is: the entropy of its probabilities over ln C, 0 when one class has them all,
    /// 1 when they are uniform.</summary>
    public static double Uncertainty(ReadOnlySpan<float> probabilities)
    {
        if (probabilities.Length < 2)
            return 0;
        double entropy = 0;
        foreach (float p in probabilities)
            if (p > 0)
                entropy -= p * Math.Log(p);
        return Math.Clamp(entropy / Math.Log(probabilities.Length), 0, 1);
    }

    /// <summary>Accuracy against coverage: the predictions kept, most certain first (<see cref="Uncertainty"/>),
    /// at 10 %, 20 % … 100 % of them, with the accuracy of those kept and the uncertainty of the last one kept (the
    /// threshold that abstains on the rest).</summary>
    public static IReadOnlyList<CoveragePoint> AccuracyCoverage(
        IReadOnlyList<float[]> probabilities,
        IReadOnlyList<int> truth
    )
    {
        if (probabilities.Count == 0 || probabilities.Count != truth.Count)
            throw new ArgumentException("Coverage needs one true class per prediction, and at least one.");
        var ranked = probabilities
            .Select((p, i) => (Uncertainty: Uncertainty(p), Right: TopClass(p) == truth[i]))
            .OrderBy(x => x.Uncertainty)
            .ToList();
        var points = new List<CoveragePoint>();
        for (int tenth = 1; tenth <= 10; tenth++)
        {
            int kept = Math.Max(1, (int)Math.Ceiling(ranked.Count * tenth / 10.0));
            var head = ranked.Take(kept).ToList();
            points.Add(
                new CoveragePoint(
                    Math.Round((double)kept / ranked.Count, 4),
                    Math.Round(head.Count(x => x.Right) / (double)kept, 4),
                    Math.Round(head[^1].Uncertainty, 4)
                )
            );
        }
        return points;
    }

    /// <summary>The predicted class of probabilities: the most probable, the first on ties (as the scorer
    /// picks it).</summary>
    public static int TopClass(ReadOnlySpan<float> p)
    {
        int top = 0;
        for (int k = 1; k < p.Length; k++)
            if (p[k] > p[top])
                top = k;
        return top;
    }

    /// <summary>The non-empty bins of the reliability diagram, lowest confidence first.</summary>
    public static IReadOnlyList<ReliabilityBin> Diagram(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> truth)
    {
        if (probabilities.Count == 0 || probabilities.Count != truth.Count)
            throw new ArgumentException("Calibration needs one true class per prediction, and at least one.");
        var count = new int[Bins];
        var confidence = new double[Bins];
        var right = new int[Bins];
        for (int i = 0; i < probabilities.Count; i++)
        {
            var p = probabilities[i];
            int top = TopClass(p);
            int bin = Math.Clamp((int)(p[top] * Bins), 0, Bins - 1);
            count[bin]++;
            confidence[bin] += p[top];
            if (top == truth[i])
                right[bin]++;
        }
        return Enumerable
            .Range(0, Bins)
            .Where(b => count[b] > 0)
            .Select(b => new ReliabilityBin(
                (double)b / Bins,
                (double)(b + 1) / Bins,
                count[b],
                confidence[b] / count[b],
                (double)right[b] / count[b]
            ))
            .ToList();
    }
}
