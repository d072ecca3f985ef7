using System.Text.Json.Serialization;
using Amil.MLNet.Data.Datasets;

namespace Amil.MLNet.Application.Runs;

/// <summary>The test split's scores, written by every training into its run folder (test_scores.json): what the
/// report and later analyses read without scoring again.</summary>
public static class TestScores
{
    /// <summary>The file's name in a run folder.</summary>
    public const string FileName = "test_scores.json";

    /// <summary>One test item: its path, true label, predicted class and class probabilities.</summary>
    public sealed record Score(
        [property: JsonPropertyName("path")] string Path,
        [property: JsonPropertyName("label")] string Label,
        [property: JsonPropertyName("predicted")] string Predicted,
        [property: JsonPropertyName("probabilities")] float[] Probabilities
    )
    {
        /// <summary>The item's patient, when the dataset knows it (what intervals resample by).</summary>
        [JsonPropertyName("patient")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? Patient { get; init; }
    }

    /// <summary>A run folder's test scores.</summary>
    public static IReadOnlyList<Score> Read(string runDir) =>
        RunReport.ReadJson<List<Score>>(System.IO.Path.Combine(runDir, FileName));

    /// <summary>Writes the test items' scores into the run folder (same order as the test split).</summary>
    public static void Write(
        string runDir,
        IReadOnlyList<ImageRecord> items,
        IReadOnlyList<ScoredImage> scored,
        IReadOnlyList<string> classes
    ) =>
        RunFiles.WriteJson(
            System.IO.Path.Combine(runDir, FileName),
            items
                .Zip(scored)
                .Select(p => new Score(
                    p.First.Path,
                    p.First.Label,
                    classes[p.Second.PredictedIndex],
                    p.Second.Probabilities
                )
                {
                    Patient = p.First.Patient,
                })
                .ToList()
        );
}
