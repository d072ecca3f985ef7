namespace Amil.MLNet.Maps.Metrics;

/// <summary>A detection on a slide: its score and the lesion it falls in (null: outside every lesion, a false
/// positive).</summary>
public readonly record struct Detection(double Score, int? Lesion);

/// <summary>One slide's detections and how many lesions it has.</summary>
public sealed record SlideDetections(IReadOnlyList<Detection> Detections, int Lesions)
{
    /// <summary>Lesions the FROC leaves out (CAMELYON16: isolated tumour cells): a detection in one is neither a hit
    /// nor a false positive, and missing one is no miss.</summary>
    public IReadOnlySet<int> Uncounted { get; init; } = new HashSet<int>();
}

/// <summary>
/// The CAMELYON16 FROC: for every threshold on the detection score, the share of lesions hit by a detection at or
/// above it (sensitivity; several detections in one lesion count once) against the false positives per slide; the
/// score is the mean sensitivity at 1/4, 1/2, 1, 2, 4 and 8 false positives per slide, read off the curve (see
/// <see cref="Interpolate"/>). Lesions a slide leaves <see cref="SlideDetections.Uncounted"/> are out of the count
/// and their detections out of the curve (CAMELYON16's rule for isolated tumour cells; per size class, every other
/// class).
/// </summary>
public static class Froc
{
    public static readonly IReadOnlyList<double> Rates = [0.25, 0.5, 1, 2, 4, 8];

    /// <param name="Points">(false positives per slide, sensitivity), one per distinct score, fewest false positives
    /// first.</param>
    public sealed record Result(
        double Score,
        IReadOnlyList<double> SensitivityAtRates,
        IReadOnlyList<(double Fp, double Sensitivity)> Points
    );

    public static Result Compute(IReadOnlyList<SlideDetections> slides)
    {
        if (slides.Count == 0)
            throw new ArgumentException("FROC needs at least one slide.");
        int lesions = slides.Sum(s => s.Lesions - s.Uncounted.Count);
        if (lesions == 0)
            throw new ArgumentException("FROC needs at least one counted lesion among the slides.");
        foreach (var (slide, i) in slides.Select((s, i) => (s, i)))
            if (
                slide.Detections.Any(d => d.Lesion is { } l && (l < 0 || l >= slide.Lesions))
                || slide.Uncounted.Any(l => l < 0 || l >= slide.Lesions)
            )
                throw new ArgumentException($"Slide {i} has a detection in (or leaves out) a lesion it does not have.");
        var all = slides
            .SelectMany(
                (s, i) =>
                    s
                        .Detections.Where(d => d.Lesion is not { } l || !s.Uncounted.Contains(l))
                        .Select(d => (d.Score, Slide: i, d.Lesion))
            )
            .OrderByDescending(d => d.Score)
            .ToList();
        var hit = new HashSet<(int, int)>();
        int falsePositives = 0;
        var points = new List<(double Fp, double Sensitivity)>();
        for (int k = 0; k < all.Count; k++)
        {
            var d = all[k];
            if (d.Lesion is { } lesion)
                hit.Add((d.Slide, lesion));
            else
                falsePositives++;
            if (k + 1 == all.Count || all[k + 1].Score < d.Score) // every detection at this score counted
                points.Add(((double)falsePositives / slides.Count, (double)hit.Count / lesions));
        }
        var atRates = Rates.Select(r => Interpolate(points, r)).ToList();
        return new Result(atRates.Count == 0 ? 0 : atRates.Average(), atRates, points);
    }

    /// <summary>Sensitivity at a false-positive rate: at a rate the curve reaches, the best sensitivity there;
    /// between two rates, linear; beyond the last, held flat. The curve starts at (0, 0), a threshold above every
    /// score.</summary>
    private static double Interpolate(IReadOnlyList<(double Fp, double Sensitivity)> points, double rate)
    {
        var curve = new List<(double Fp, double Sensitivity)> { (0, 0) };
        curve.AddRange(points);
        int i = curve.FindIndex(p => p.Fp >= rate);
        if (i < 0)
            return curve[^1].Sensitivity;
        if (curve[i].Fp == rate)
        {
            while (i + 1 < curve.Count && curve[i + 1].Fp == rate)
                i++;
            return curve[i].Sensitivity;
        }
        var (a, b) = (curve[i - 1], curve[i]); // a: the best at the last rate below; b: the first point above
        return a.Sensitivity + (b.Sensitivity - a.Sensitivity) * (rate - a.Fp) / (b.Fp - a.Fp);
    }
}
