using System.Text.Json.Serialization;
using Amil.MLNet.Maps.Metrics;

namespace Amil.MLNet.Application.Staging;

/// <summary>
/// CAMELYON17's patient-level results (the <c>pn_staging</c> block of metrics.json): each patient's pN stage from
/// their nodes' true labels and from the model's predicted labels (<see cref="NodeStaging.Stage"/>), the agreement,
/// Cohen's quadratic-weighted kappa (the challenge's metric) and the 5 × 5 confusion matrix, with bootstrap intervals
/// over patients. Computed for a model whose classes are the node labels (negative, itc, micro, macro) on items whose
/// patients are known.
/// </summary>
public sealed record PatientStaging(
    [property: JsonPropertyName("patients")] int Patients,
    [property: JsonPropertyName("kappa")] double? Kappa,
    [property: JsonPropertyName("agreement")] double Agreement,
    [property: JsonPropertyName("stages")] IReadOnlyList<string> Stages,
    [property: JsonPropertyName("confusion_matrix")] int[][] ConfusionMatrix,
    [property: JsonPropertyName("per_patient")] IReadOnlyList<PatientStaging.Patient> PerPatient
)
{
    /// <summary>One patient: the nodes scored and the stage they give, truly and as predicted.</summary>
    public sealed record Patient(
        [property: JsonPropertyName("patient")] string Name,
        [property: JsonPropertyName("nodes")] int Nodes,
        [property: JsonPropertyName("true_stage")] string TrueStage,
        [property: JsonPropertyName("predicted_stage")] string PredictedStage
    );

    /// <summary>95 % intervals of kappa and agreement, resampling patients: name → [low, high].</summary>
    [JsonPropertyName("intervals")]
    public IReadOnlyDictionary<string, double[]>? Intervals { get; init; }

    /// <summary>How <see cref="Intervals"/> were drawn.</summary>
    [JsonPropertyName("bootstrap")]
    public BootstrapSettings? Bootstrap { get; init; }

    /// <summary>The metric and its interval as "0.963 [0.941, 0.979]".</summary>
    public string WithInterval(string name, double? value) =>
        Maps.Metrics.Bootstrap.WithInterval(value, Intervals?.GetValueOrDefault(name));

    /// <summary>The staging of the items' patients; null unless <paramref name="classes"/> are the node labels and
    /// every item's patient is known.</summary>
    /// <param name="truth">Each item's true class index.</param>
    /// <param name="predicted">Each item's predicted class index.</param>
    public static PatientStaging? Of(
        IReadOnlyList<string> classes,
        IReadOnlyList<string?> patients,
        IReadOnlyList<int> truth,
        IReadOnlyList<int> predicted
    )
    {
        if (!NodeStaging.IsNodeClassification(classes) || patients.Count == 0 || patients.Any(p => p is null))
            return null;
        var rows = Enumerable
            .Range(0, patients.Count)
            .GroupBy(i => patients[i]!, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new Patient(
                g.Key,
                g.Count(),
                NodeStaging.Stage(g.Select(i => classes[truth[i]])),
                NodeStaging.Stage(g.Select(i => classes[predicted[i]]))
            ))
            .ToList();
        var trueStage = rows.Select(r => NodeStaging.StageIndex(r.TrueStage)).ToList();
        var predictedStage = rows.Select(r => NodeStaging.StageIndex(r.PredictedStage)).ToList();
        int count = NodeStaging.Stages.Count;
        double?[] Point(IReadOnlyList<int> sample) =>
            [
                NodeStaging.QuadraticKappa(
                    [.. sample.Select(i => trueStage[i])],
                    [.. sample.Select(i => predictedStage[i])],
                    count
                ),
                sample.Average(i => trueStage[i] == predictedStage[i] ? 1.0 : 0.0),
            ];
        var all = Enumerable.Range(0, rows.Count).ToArray();
        var point = Point(all);
        var bootstrap = new Bootstrap(rows.Select(r => (string?)r.Name).ToList());
        var confusion = Enumerable.Range(0, count).Select(_ => new int[count]).ToArray();
        foreach (int i in all)
            confusion[trueStage[i]][predictedStage[i]]++;
        return new PatientStaging(rows.Count, point[0], point[1]!.Value, NodeStaging.Stages, confusion, rows)
        {
            Intervals = Maps.Metrics.Bootstrap.Named(IntervalNames, point, bootstrap.Of(Point)),
            Bootstrap = bootstrap.Settings("patient"),
        };
    }

    /// <summary>The keys of <see cref="Intervals"/>, in the order they are computed.</summary>
    public static readonly string[] IntervalNames = ["kappa", "agreement"];

    /// <summary>Patients with fewer nodes scored than CAMELYON17's five, whose stage may read lower than it
    /// is.</summary>
    public int Incomplete => PerPatient.Count(p => p.Nodes < 5);

    /// <summary>The one line train and evaluate print.</summary>
    public string Describe() =>
        $"pN stage   patients {Patients, 4}  kappa {WithInterval("kappa", Kappa)}  agreement "
        + WithInterval("agreement", Agreement)
        + (Incomplete > 0 ? $"  ({Incomplete} with fewer than 5 nodes scored)" : "");
}
