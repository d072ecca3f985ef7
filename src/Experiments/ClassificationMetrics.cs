using System.Text.Json.Serialization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Amil.MLNet.Experiments;

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
    /// <summary>Computes the metrics with ML.NET's multiclass evaluator, plus ROC AUC (two classes) and patient-level
    /// accuracy.</summary>
    /// <param name="truth">True class index per scored image, same order.</param>
    /// <param name="patients">Patient per image (null entries = unknown).</param>
    public static ClassificationMetrics Compute(
        IReadOnlyList<ScoredImage> scored,
        IReadOnlyList<int> truth,
        IReadOnlyList<string?> patients,
        int classCount
    )
    {
        if (scored.Count == 0)
            throw new ArgumentException("No images to evaluate.");
        var ml = new MLContext(seed: 1);
        // Measured on ML.NET 5.0.1: an in-memory key column built this way takes the 0-based class index
        // (the tests pin this down with known accuracies).
        var rows = scored.Select(
            (s, i) =>
                new EvalRow
                {
                    Label = (uint)truth[i],
                    Score = s.Probabilities,
                    PredictedLabel = (uint)s.PredictedIndex,
                }
        );
        var schema = SchemaDefinition.Create(typeof(EvalRow));
        schema[nameof(EvalRow.Label)].ColumnType = new KeyDataViewType(typeof(uint), classCount);
        schema[nameof(EvalRow.PredictedLabel)].ColumnType = new KeyDataViewType(typeof(uint), classCount);
        schema[nameof(EvalRow.Score)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, classCount);
        var view = ml.Data.LoadFromEnumerable(rows, schema);
        var m = ml.MulticlassClassification.Evaluate(
            view,
            nameof(EvalRow.Label),
            nameof(EvalRow.Score),
            nameof(EvalRow.PredictedLabel)
        );

        var confusion = Enumerable.Range(0, classCount).Select(_ => new int[classCount]).ToArray();
        for (int i = 0; i < scored.Count; i++)
            confusion[truth[i]][scored[i].PredictedIndex]++;
        double macroF1 = Enumerable
            .Range(0, classCount)
            .Average(c =>
            {
                double tp = confusion[c][c],
                    fp = confusion.Sum(r => r[c]) - tp,
                    fn = confusion[c].Sum() - tp;
                return tp == 0 ? 0 : 2 * tp / (2 * tp + fp + fn);
            });
        // Two classes: the AUC of p(second class). More: the macro average of one-vs-rest AUCs over the classes
        // present with both outcomes (scikit-learn's "ovr" macro).
        var perClassAuc = Enumerable
            .Range(classCount == 2 ? 1 : 0, classCount == 2 ? 1 : classCount)
            .Select(c =>
                Localization.Metrics.RankMetrics.Auroc(
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
            m.MicroAccuracy,
            m.MacroAccuracy,
            macroF1,
            m.LogLoss,
            auc,
            confusion,
            patientAccuracy,
            patientCount
        );
    }

    private sealed class EvalRow
    {
        public uint Label { get; set; }
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
    }
}
