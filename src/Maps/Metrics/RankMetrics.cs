namespace Amil.MLNet.Maps.Metrics;

/// <summary>A score with how many positives and negatives carry it (a patch, or a group of pixels with one
/// value).</summary>
public readonly record struct WeightedScore(double Score, double Positives, double Negatives);

/// <summary>Threshold-free ranking metrics over weighted scores; ties count half, as in the Mann–Whitney
/// statistic.</summary>
public static class RankMetrics
{
    /// <summary>AUROC of plain scores with a positive/negative truth each (Mann–Whitney U, ties count half); null when
    /// one class is absent. The same computation as <see cref="Auroc(IEnumerable{WeightedScore})"/>, one item a
    /// score.</summary>
    public static double? Auroc(IReadOnlyList<double> scores, IReadOnlyList<bool> positive) =>
        Auroc(scores.Select((s, i) => new WeightedScore(s, positive[i] ? 1 : 0, positive[i] ? 0 : 1)));

    /// <summary>Area under the ROC curve; null when there are no positives or no negatives.</summary>
    public static double? Auroc(IEnumerable<WeightedScore> items)
    {
        var groups = Grouped(items);
        double positives = groups.Sum(g => g.Positives),
            negatives = groups.Sum(g => g.Negatives);
        if (positives == 0 || negatives == 0)
            return null;
        double negativesBelow = 0,
            area = 0;
        foreach (var g in groups) // ascending score
        {
            area += g.Positives * (negativesBelow + g.Negatives / 2);
            negativesBelow += g.Negatives;
        }
        return area / (positives * negatives);
    }

    /// <summary>Average precision (area under the step precision–recall curve, tied scores taken as one step); null
    /// without positives.</summary>
    public static double? AveragePrecision(IEnumerable<WeightedScore> items)
    {
        var groups = Grouped(items);
        double positives = groups.Sum(g => g.Positives);
        if (positives == 0)
            return null;
        double truePositives = 0,
            predicted = 0,
            ap = 0;
        for (int i = groups.Count - 1; i >= 0; i--) // descending score
        {
            truePositives += groups[i].Positives;
            predicted += groups[i].Positives + groups[i].Negatives;
            ap += groups[i].Positives / positives * (truePositives / predicted);
        }
        return ap;
    }

    /// <summary>Best Dice and IoU over thresholds "score ≥ t". The sweep takes <paramref name="steps"/> + 1 thresholds
    /// at evenly spaced quantiles of the scores (by weight), so it works for raw maps whose values crowd near zero as
    /// well as for normalised ones.</summary>
    public static (double Dice, double DiceThreshold, double Iou, double IouThreshold)? BestOverlap(
        IEnumerable<WeightedScore> items,
        int steps = 200
    )
    {
        var groups = Grouped(items);
        double positives = groups.Sum(g => g.Positives),
            total = groups.Sum(g => g.Positives + g.Negatives);
        if (positives == 0 || groups.Count == 0)
            return null;
        var thresholds = new SortedSet<double>();
        double cumulative = 0;
        int next = 0;
        foreach (var g in groups)
        {
            cumulative += g.Positives + g.Negatives;
            while (next <= steps && cumulative >= total * next / steps)
            {
                thresholds.Add(g.Score);
                next++;
            }
        }
        (double Dice, double DiceT, double Iou, double IouT) best = (0, groups[^1].Score, 0, groups[^1].Score);
        foreach (double t in thresholds)
        {
            double tp = 0,
                fp = 0;
            foreach (var g in groups)
                if (g.Score >= t)
                {
                    tp += g.Positives;
                    fp += g.Negatives;
                }
            double fn = positives - tp;
            double dice = 2 * tp / (2 * tp + fp + fn),
                iou = tp / (tp + fp + fn);
            if (dice > best.Dice)
                (best.Dice, best.DiceT) = (dice, t);
            if (iou > best.Iou)
                (best.Iou, best.IouT) = (iou, t);
        }
        return best;
    }

    /// <summary>Items merged by equal score, ascending.</summary>
    private static List<WeightedScore> Grouped(IEnumerable<WeightedScore> items) =>
        items
            .GroupBy(i => i.Score)
            .Select(g => new WeightedScore(g.Key, g.Sum(x => x.Positives), g.Sum(x => x.Negatives)))
            .OrderBy(g => g.Score)
            .ToList();
}
