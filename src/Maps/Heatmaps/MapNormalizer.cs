namespace Amil.MLNet.Maps.Heatmaps;

/// <summary>How a map's values are scaled to [0, 1] per image before display or thresholding.</summary>
public enum MapNormalization
{
    /// <summary>Raw values as the model gives them (softmax attention sums to 1 per bag; Grad-CAM is
    /// unbounded).</summary>
    None,

    /// <summary>Divide by the image's maximum (0 stays 0).</summary>
    Max,

    /// <summary>(v − min) / (max − min); a constant map becomes all 0.</summary>
    MinMax,

    /// <summary>Percentile rank within the image (ties share their mean rank): spreads concentrated softmax attention
    /// over the colour scale.</summary>
    Rank,
}

public static class MapNormalizer
{
    public static MapNormalization Parse(string text) =>
        text.Trim().ToLowerInvariant() switch
        {
            "none" => MapNormalization.None,
            "max" => MapNormalization.Max,
            "minmax" or "min-max" => MapNormalization.MinMax,
            "rank" or "percentile" => MapNormalization.Rank,
            _ => throw new ArgumentException($"Unknown map normalisation '{text}'; use none, max, minmax or rank."),
        };

    public static float[] Apply(IReadOnlyList<float> values, MapNormalization normalization)
    {
        int n = values.Count;
        var result = new float[n];
        if (n == 0)
            return result;
        switch (normalization)
        {
            case MapNormalization.None:
                for (int i = 0; i < n; i++)
                    result[i] = values[i];
                break;
            case MapNormalization.Max:
            {
                float max = values.Max();
                for (int i = 0; i < n; i++)
                    result[i] = max > 0 ? values[i] / max : 0f;
                break;
            }
            case MapNormalization.MinMax:
            {
                float min = values.Min(),
                    range = values.Max() - min;
                for (int i = 0; i < n; i++)
                    result[i] = range > 0 ? (values[i] - min) / range : 0f;
                break;
            }
            case MapNormalization.Rank:
            {
                var order = Enumerable.Range(0, n).OrderBy(i => values[i]).ToArray();
                for (int start = 0; start < n; )
                {
                    int end = start;
                    while (end + 1 < n && values[order[end + 1]] == values[order[start]])
                        end++;
                    float rank = n == 1 ? 1f : (start + end) / 2f / (n - 1);
                    for (int k = start; k <= end; k++)
                        result[order[k]] = rank;
                    start = end + 1;
                }
                break;
            }
        }
        return result;
    }
}
