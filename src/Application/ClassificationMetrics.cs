using System.Text.Json.Serialization;
using Amil.MLNet.Application.Staging;
using Amil.MLNet.Maps.Metrics;
using Amil.MLNet.Trainers;

namespace Amil.MLNet.Application;

/// <summary>The metrics block of metrics.json for one split.</summary>
public sealed record ClassificationMetrics(
    [property: JsonPropertyName("images")] int Images,
    [property: JsonPropertyName("accuracy")] double Accuracy,
    [property: JsonPropertyName("macro_accuracy")] double MacroAccuracy,
    [property: JsonPropertyName("macro_f1")] double MacroF1,
    [property: JsonPropertyName("log_loss")] double LogLoss,
    [property: JsonPropertyName("auc")] double? Auc,
    [property: JsonPropertyName("confusion_matrix")] int[][] ConfusionMatrix,
    [property: JsonPropertyName("patient_accuracy")] double? PatientAccuracy,
    [property: JsonPropertyName("patients")] int? Patients
)
{
    /// <summary>Computes every metric from the same predictions: accuracy, macro accuracy and macro-F1 from the
    /// confusion matrix, log-loss, ROC AUC (two classes; one-vs-rest macro for more), ECE and Brier score from the
    /// probabilities the predictions are the arg max of, and patient-level accuracy.</summary>
    /// <param name="truth">True class index per scored image, same order.</param>
    /// <param name="patients">Patient per image (null entries = unknown).</param>
    /// <exception cref="InvalidDataException">A probability is not finite or the predicted class is not the most
    /// probable one: no metric is computed from such a score.</exception>
    public static ClassificationMetrics Compute(
        IReadOnlyList<ScoredImage> scored,
        IReadOnlyList<int> truth,
        IReadOnlyList<string?> patients,
        int classCount
    )
    {
        if (scored.Count == 0)
            throw new ArgumentException("No images to evaluate.");
        foreach (var s in scored)
        {
            if (s.Probabilities.Length != classCount || !s.Probabilities.All(float.IsFinite))
                throw new InvalidDataException(
                    $"{s.Path}: the model's probabilities are not {classCount} finite numbers; no metric is "
                        + "computed from them."
                );
            if (s.Probabilities[s.PredictedIndex] < s.Probabilities.Max())
                throw new InvalidDataException(
                    $"{s.Path}: predicted class {s.PredictedIndex} is not the most probable one."
                );
        }

        return Compute(
            [.. scored.Select(s => s.Probabilities)],
            [.. scored.Select(s => s.PredictedIndex)],
            truth,
            patients,
            classCount
        );
    }

    /// <summary>The same metrics from probabilities alone (each item's predicted class its most probable one, the
    /// first on ties), e.g. pooled out of several runs' test_scores.json.</summary>
    public static ClassificationMetrics Compute(
        IReadOnlyList<float[]> probabilities,
        IReadOnlyList<int> truth,
        IReadOnlyList<string?> patients,
        int classCount
    )
    {
        if (probabilities.Count == 0)
            throw new ArgumentException("No items to evaluate.");
        for (int i = 0; i < probabilities.Count; i++)
            if (probabilities[i].Length != classCount || !probabilities[i].All(float.IsFinite))
                throw new InvalidDataException(
                    $"Item {i + 1}: the probabilities are not {classCount} finite numbers; no metric is computed "
                        + "from them."
                );
        var predicted = probabilities.Select(p => Calibration.TopClass(p)).ToList();
        return Compute(probabilities, predicted, truth, patients, classCount);
    }

    private static ClassificationMetrics Compute(
        IReadOnlyList<float[]> probabilities,
        IReadOnlyList<int> predicted,
        IReadOnlyList<int> truth,
        IReadOnlyList<string?> patients,
        int classCount
    )
    {
        var scored = new Scores(probabilities, predicted);
        var all = Enumerable.Range(0, probabilities.Count).ToArray();
        var point = Point(scored, truth, patients, classCount, all, out var confusion, out int? patientCount);
        var bootstrap = new Bootstrap(patients);
        var intervals = bootstrap.Of(items => Point(scored, truth, patients, classCount, items, out _, out _));
        return new ClassificationMetrics(
            probabilities.Count,
            point[0]!.Value,
            point[1]!.Value,
            point[2]!.Value,
            point[3]!.Value,
            point[4],
            confusion,
            point[5],
            patientCount
        )
        {
            Ece = point[6],
            Brier = point[7],
            AccuracyCoverage = Calibration.AccuracyCoverage(probabilities, truth),
            Intervals = Maps.Metrics.Bootstrap.Named(IntervalNames, point, intervals),
            Bootstrap = bootstrap.Settings("item"),
        };
    }

    /// <summary>The names of the metrics, in the order they are computed: the keys of
    /// <see cref="Intervals"/>.</summary>
    public static readonly string[] IntervalNames =
    [
        "accuracy",
        "macro_accuracy",
        "macro_f1",
        "log_loss",
        "auc",
        "patient_accuracy",
        "ece",
        "brier",
    ];

    /// <summary>Expected calibration error of the top class's probability (15 equal-width bins; see
    /// <see cref="Calibration"/>).</summary>
    [JsonPropertyName("ece")]
    public double? Ece { get; init; }

    /// <summary>Multiclass Brier score: mean Σ_k (p_k − [k true])².</summary>
    [JsonPropertyName("brier")]
    public double? Brier { get; init; }

    /// <summary>Accuracy when abstaining on the least certain items: 10 % to 100 % kept, most certain first.</summary>
    [JsonPropertyName("accuracy_coverage")]
    public IReadOnlyList<CoveragePoint>? AccuracyCoverage { get; init; }

    /// <summary>95 % bootstrap intervals of the metrics, resampling patients (items where none is known): name →
    /// [low, high]. A metric undefined in most resamples (e.g. AUC with one class left) has none.</summary>
    [JsonPropertyName("intervals")]
    public IReadOnlyDictionary<string, double[]>? Intervals { get; init; }

    /// <summary>How <see cref="Intervals"/> were drawn.</summary>
    [JsonPropertyName("bootstrap")]
    public BootstrapSettings? Bootstrap { get; init; }

    /// <summary>CAMELYON17's patient pN staging from the predicted node labels, for a model whose classes are the
    /// node labels; null otherwise.</summary>
    [JsonPropertyName("pn_staging")]
    public PatientStaging? Staging { get; init; }

    /// <summary>The metric and its interval as "0.963 [0.941, 0.979]" (3 decimals), or "–" when undefined.</summary>
    public string WithInterval(string name, double? value) =>
        Maps.Metrics.Bootstrap.WithInterval(value, Intervals?.GetValueOrDefault(name));

    /// <summary>Mean −log p(true class), the probability clamped to [1e-15, 1] (as ML.NET does below), so a confident
    /// miss costs ~34.5, not infinity, and a float p a hair over 1 or a perfect score never prints as −0.</summary>
    internal static double MeanLogLoss(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> truth) =>
        probabilities.Select((p, i) => 0.0 - Math.Log(Math.Clamp(p[truth[i]], 1e-15, 1))).Average();

    /// <summary>Each item's probabilities and predicted class.</summary>
    private sealed record Scores(IReadOnlyList<float[]> Probabilities, IReadOnlyList<int> Predicted);

    /// <summary>The metrics of the items <paramref name="items"/> (indices, repeats allowed), in the order of
    /// <see cref="IntervalNames"/>.</summary>
    private static double?[] Point(
        Scores scored,
        IReadOnlyList<int> truth,
        IReadOnlyList<string?> patients,
        int classCount,
        IReadOnlyList<int> items,
        out int[][] confusion,
        out int? patientCount
    )
    {
        confusion = Enumerable.Range(0, classCount).Select(_ => new int[classCount]).ToArray();
        foreach (int i in items)
            confusion[truth[i]][scored.Predicted[i]]++;
        var matrix = confusion;
        double accuracy = Enumerable.Range(0, classCount).Sum(c => matrix[c][c]) / (double)items.Count;
        // Macro accuracy: the mean recall over the classes that occur (ML.NET's definition).
        double macroAccuracy = Enumerable
            .Range(0, classCount)
            .Where(c => matrix[c].Sum() > 0)
            .Average(c => matrix[c][c] / (double)matrix[c].Sum());
        // Macro-F1: over the classes held or predicted (scikit-learn's "macro"); a class that is neither is no
        // failure, so a resample that drew one class is not scored as if it had missed the others.
        double macroF1 = Enumerable
            .Range(0, classCount)
            .Where(c => matrix[c].Sum() + matrix.Sum(r => r[c]) > 0)
            .Average(c =>
            {
                double tp = matrix[c][c],
                    fp = matrix.Sum(r => r[c]) - tp,
                    fn = matrix[c].Sum() - tp;
                return tp == 0 ? 0 : 2 * tp / (2 * tp + fp + fn);
            });
        // Probabilities are clamped to 1e-15 as ML.NET does, so a confident miss costs ~34.5, not infinity.
        // Two classes: the AUC of p(second class). More: the macro average of one-vs-rest AUCs over the classes
        // present with both outcomes (scikit-learn's "ovr" macro).
        var perClassAuc = Enumerable
            .Range(classCount == 2 ? 1 : 0, classCount == 2 ? 1 : classCount)
            .Select(c =>
                RankMetrics.Auroc(
                    items.Select(i => (double)scored.Probabilities[i][c]).ToList(),
                    items.Select(i => truth[i] == c).ToList()
                )
            )
            .Where(a => a is not null)
            .ToList();
        double? auc = perClassAuc.Count > 0 ? perClassAuc.Average() : null;

        double? patientAccuracy = null;
        patientCount = null;
        if (items.Any(i => patients[i] is not null))
        {
            var perPatient = items
                .Where(i => patients[i] is not null)
                .GroupBy(i => patients[i]!)
                .Select(g => g.Average(i => scored.Predicted[i] == truth[i] ? 1.0 : 0.0))
                .ToList();
            patientAccuracy = perPatient.Average();
            patientCount = perPatient.Count;
        }
        var itemProbabilities = items.Select(i => scored.Probabilities[i]).ToList();
        var classes = items.Select(i => truth[i]).ToList();
        double logLoss = MeanLogLoss(itemProbabilities, classes);
        double ece = Calibration.ExpectedError(itemProbabilities, classes),
            brier = Calibration.Brier(itemProbabilities, classes);
        return [accuracy, macroAccuracy, macroF1, logLoss, auc, patientAccuracy, ece, brier];
    }
}
