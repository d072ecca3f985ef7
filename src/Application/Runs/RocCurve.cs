namespace Amil.MLNet.Application.Runs;

/// <summary>ROC curve points (false-positive rate, true-positive rate) from scores, one point per distinct
/// threshold.</summary>
public static class RocCurve
{
    public static (double[] Fpr, double[] Tpr) Points(IReadOnlyList<double> scores, IReadOnlyList<bool> positive)
    {
        int pos = positive.Count(p => p),
            neg = positive.Count - pos;
        var fpr = new List<double> { 0 };
        var tpr = new List<double> { 0 };
        if (pos == 0 || neg == 0)
            return ([0, 1], [0, 1]);
        int tp = 0,
            fp = 0;
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();
        for (int k = 0; k < order.Length; k++)
        {
            if (positive[order[k]])
                tp++;
            else
                fp++;
            // Tied scores move together: one point after the last of them.
            if (k + 1 < order.Length && scores[order[k + 1]] == scores[order[k]])
                continue;
            fpr.Add((double)fp / neg);
            tpr.Add((double)tp / pos);
        }
        return (fpr.ToArray(), tpr.ToArray());
    }
}
