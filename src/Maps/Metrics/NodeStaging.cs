namespace Amil.MLNet.Maps.Metrics;

/// <summary>
/// CAMELYON17's patient-level protocol: each lymph node is negative, has isolated tumour cells (itc), a
/// micro-metastasis or a macro-metastasis; a patient's pN stage follows from their nodes by the challenge's
/// simplified TNM rules, and a set of predicted stages is scored against the true ones with Cohen's kappa, quadratic
/// weights over the ordered stages (the challenge's metric).
/// </summary>
public static class NodeStaging
{
    /// <summary>The node labels, least to most tumour.</summary>
    public static readonly IReadOnlyList<string> NodeClasses = ["negative", "itc", "micro", "macro"];

    /// <summary>The pN stages in order: the rows and columns of a staging confusion matrix.</summary>
    public static readonly IReadOnlyList<string> Stages = ["pN0", "pN0(i+)", "pN1mi", "pN1", "pN2"];

    /// <summary>Whether a model's classes are exactly the node labels (in any order), so patients can be staged from
    /// its predictions.</summary>
    public static bool IsNodeClassification(IEnumerable<string> classes)
    {
        var names = classes.Select(c => c.ToLowerInvariant()).ToList();
        return names.Count == NodeClasses.Count && NodeClasses.All(names.Contains);
    }

    /// <summary>A patient's pN stage from the labels of their nodes: a macro-metastasis makes pN1, or pN2 when 4 or
    /// more nodes hold a metastasis (micro or macro); else a micro-metastasis makes pN1mi; else isolated tumour cells
    /// make pN0(i+); else pN0.</summary>
    /// <exception cref="ArgumentException">A label is not a node label.</exception>
    public static string Stage(IEnumerable<string> nodeLabels)
    {
        int macro = 0,
            micro = 0,
            itc = 0;
        foreach (var label in nodeLabels)
            switch (label.ToLowerInvariant())
            {
                case "macro":
                    macro++;
                    break;
                case "micro":
                    micro++;
                    break;
                case "itc":
                    itc++;
                    break;
                case "negative":
                    break;
                default:
                    throw new ArgumentException(
                        $"'{label}' is not a lymph node label ({string.Join(", ", NodeClasses)})."
                    );
            }
        return macro > 0 ? (macro + micro >= 4 ? "pN2" : "pN1")
            : micro > 0 ? "pN1mi"
            : itc > 0 ? "pN0(i+)"
            : "pN0";
    }

    /// <summary>Each patient's stage from the labels of their nodes (<see cref="Stage"/>), patient → stage.</summary>
    public static Dictionary<string, string> ByPatient(IEnumerable<(string Patient, string Label)> nodes) =>
        nodes
            .GroupBy(n => n.Patient, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => Stage(g.Select(n => n.Label)), StringComparer.Ordinal);

    /// <summary>The index of a stage in <see cref="Stages"/>, or -1 when it is not one (compared
    /// case-insensitively).</summary>
    public static int StageIndex(string stage)
    {
        for (int i = 0; i < Stages.Count; i++)
            if (Stages[i].Equals(stage.Trim(), StringComparison.OrdinalIgnoreCase))
                return i;
        return -1;
    }

    /// <summary>Cohen's kappa with quadratic weights between two ratings of the same items on
    /// <paramref name="categories"/> ordered categories: 1 − Σ w·observed / Σ w·expected, w = (i − j)²,
    /// the expected table from the two ratings' marginals. Null when the expected disagreement is zero (both ratings
    /// put every item in one and the same category).</summary>
    public static double? QuadraticKappa(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int categories)
    {
        if (truth.Count != predicted.Count || truth.Count == 0)
            throw new ArgumentException("Kappa needs two ratings of the same, non-empty set of items.");
        var observed = new double[categories, categories];
        var rows = new double[categories];
        var columns = new double[categories];
        for (int i = 0; i < truth.Count; i++)
        {
            observed[truth[i], predicted[i]]++;
            rows[truth[i]]++;
            columns[predicted[i]]++;
        }
        double disagreement = 0,
            chance = 0;
        for (int i = 0; i < categories; i++)
        for (int j = 0; j < categories; j++)
        {
            double weight = (i - j) * (i - j);
            disagreement += weight * observed[i, j];
            chance += weight * rows[i] * columns[j] / truth.Count;
        }
        return chance == 0 ? null : 1 - disagreement / chance;
    }
}
