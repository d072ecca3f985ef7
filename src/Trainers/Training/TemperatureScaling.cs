namespace Amil.MLNet.Trainers.Training;

/// <summary>
/// Temperature scaling (Guo et al. 2017, "On calibration of modern neural networks"): one T > 0 divides the logits
/// before the softmax, fitted to minimise the negative log-likelihood of a held-out split. The predicted class never
/// changes; the probabilities come to mean what they say. As NLL is convex in β = 1/T, a golden-section search over
/// β finds the minimum. A split the model ranks perfectly (every bag's class has the largest logit) has no minimum:
/// its NLL keeps falling as T → 0, which says nothing about unseen data, so such a split leaves T at 1; so does a
/// fit that ends on the lower bound.
/// </summary>
public static class TemperatureScaling
{
    /// <summary>The range T is fitted in: a near-separable validation split would otherwise push T to 0.</summary>
    public const float Smallest = 0.05f,
        Largest = 20f;

    /// <summary>The temperature that minimises the mean NLL of <paramref name="labels"/> under softmax(logits /
    /// T); 1 when the rows are separable (<see cref="Separable"/>) or the minimum lies on the lower bound.</summary>
    public static float Fit(IReadOnlyList<float[]> logits, IReadOnlyList<int> labels)
    {
        if (logits.Count == 0 || logits.Count != labels.Count)
            throw new ArgumentException("Temperature scaling needs one label per logit row, and at least one row.");
        if (Separable(logits, labels))
            return 1;
        float fitted = Minimise(logits, labels);
        return fitted <= Smallest * 1.01f ? 1 : fitted;
    }

    /// <summary>Whether every row's labelled class has the strictly largest logit: then the NLL falls without end as
    /// T → 0 and no temperature can be fitted.</summary>
    public static bool Separable(IReadOnlyList<float[]> logits, IReadOnlyList<int> labels)
    {
        for (int i = 0; i < logits.Count; i++)
        {
            var row = logits[i];
            for (int k = 0; k < row.Length; k++)
                if (k != labels[i] && row[k] >= row[labels[i]])
                    return false;
        }
        return true;
    }

    private static float Minimise(IReadOnlyList<float[]> logits, IReadOnlyList<int> labels)
    {
        double low = 1.0 / Largest,
            high = 1.0 / Smallest;
        double ratio = (Math.Sqrt(5) - 1) / 2;
        double a = high - ratio * (high - low),
            b = low + ratio * (high - low);
        double fa = Loss(logits, labels, a),
            fb = Loss(logits, labels, b);
        for (int i = 0; i < 80; i++)
            if (fa <= fb)
            {
                (high, b, fb) = (b, a, fa);
                a = high - ratio * (high - low);
                fa = Loss(logits, labels, a);
            }
            else
            {
                (low, a, fa) = (a, b, fb);
                b = low + ratio * (high - low);
                fb = Loss(logits, labels, b);
            }
        return (float)(2 / (low + high));
    }

    /// <summary>Mean negative log-likelihood of the labels under softmax(β · logits).</summary>
    internal static double Loss(IReadOnlyList<float[]> logits, IReadOnlyList<int> labels, double beta)
    {
        double sum = 0;
        for (int i = 0; i < logits.Count; i++)
        {
            var row = logits[i];
            double max = row.Max() * beta;
            double normaliser = row.Sum(z => Math.Exp(z * beta - max));
            sum -= row[labels[i]] * beta - max - Math.Log(normaliser);
        }
        return sum / logits.Count;
    }

    /// <summary>Probabilities at another temperature: softmax(log p / T), exactly softmax(logits / T) for p =
    /// softmax(logits), since the log-normaliser cancels. T = 1 returns them unchanged.</summary>
    public static float[] Apply(ReadOnlySpan<float> probabilities, float temperature)
    {
        var result = probabilities.ToArray();
        if (temperature == 1 || result.Length == 0)
            return result;
        var scaled = new double[result.Length];
        for (int k = 0; k < result.Length; k++)
            scaled[k] = result[k] > 0 ? Math.Log(result[k]) / temperature : double.NegativeInfinity;
        double max = scaled.Max();
        double sum = scaled.Sum(s => Math.Exp(s - max));
        for (int k = 0; k < result.Length; k++)
            result[k] = (float)(Math.Exp(scaled[k] - max) / sum);
        return result;
    }
}
