using System.Text.Json.Serialization;
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
    /// confusion matrix, log-loss and ROC AUC (two classes; one-vs-rest macro for more) from the probabilities the
    /// predictions are the arg max of, and patient-level accuracy.</summary>
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

        var confusion = Enumerable.Range(0, classCount).Select(_ => new int[classCount]).ToArray();
        for (int i = 0; i < scored.Count; i++)
            confusion[truth[i]][scored[i].PredictedIndex]++;
        double accuracy = Enumerable.Range(0, classCount).Sum(c => confusion[c][c]) / (double)scored.Count;
        // Macro accuracy: the mean recall over the classes that occur (ML.NET's definition).
        double macroAccuracy = Enumerable
            .Range(0, classCount)
            .Where(c => confusion[c].Sum() > 0)
            .Average(c => confusion[c][c] / (double)confusion[c].Sum());
        double macroF1 = Enumerable
            .Range(0, classCount)
            .Average(c =>
            {
                double tp = confusion[c][c],
                    fp = confusion.Sum(r => r[c]) - tp,
                    fn = confusion[c].Sum() - tp;
                return tp == 0 ? 0 : 2 * tp / (2 * tp + fp + fn);
            });
        // Probabilities are clamped to 1e-15 as ML.NET does, so a confident miss costs ~34.5, not infinity.
        double logLoss = Enumerable
            .Range(0, scored.Count)
            .Average(i => -Math.Log(Math.Max(scored[i].Probabilities[truth[i]], 1e-15)));
        // Two classes: the AUC of p(second class). More: the macro average of one-vs-rest AUCs over the classes
        // present with both outcomes (scikit-learn's "ovr" macro).
        var perClassAuc = Enumerable
            .Range(classCount == 2 ? 1 : 0, classCount == 2 ? 1 : classCount)
            .Select(c =>
                Maps.Metrics.RankMetrics.Auroc(
                    scored.Select(s => (double)s.Probabilities[c]).ToList(),
                    truth.Select(t => t == c).ToList()
                )
            )
            .Where(a => a is not null)
            .ToList();
        double? auc = perClassAuc.Count > 0 ? perClassAuc.Average() : null;

        double? patientAccuracy = null;
        int? patientCount = null;
        if (patients.Any(p => p is not null))
        {
            var perPatient = Enumerable
                .Range(0, scored.Count)
                .Where(i => patients[i] is not null)
                .GroupBy(i => patients[i]!)
                .Select(g => g.Average(i => scored[i].PredictedIndex == truth[i] ? 1.0 : 0.0))
                .ToList();
            patientAccuracy = perPatient.Average();
            patientCount = perPatient.Count;
        }
        return new ClassificationMetrics(
            scored.Count,
            accuracy,
            macroAccuracy,
            macroF1,
            logLoss,
            auc,
            confusion,
            patientAccuracy,
            patientCount
        );
    }
}
