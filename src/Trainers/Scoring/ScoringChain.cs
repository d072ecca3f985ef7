using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Persistence;
using Microsoft.ML;

namespace Amil.MLNet.Trainers.Scoring;

/// <summary>
/// Builds the saved scoring pipeline from ML.NET's own persistable stages around our stateless mapping:
/// network state (ValueMapping) → scoring mapping → Score (Concatenate of C slots) → PredictedLabel (key with class names).
/// </summary>
internal static class ScoringChain
{
    public const string ScoreColumn = "Score", PredictedLabelColumn = "PredictedLabel", AttentionColumn = "Attention", GradCamColumn = "GradCam";

    /// <summary>The output column holding a model's per-patch localization map.</summary>
    public static string MapColumn(Networks.NetworkArchitecture architecture) =>
        architecture == Networks.NetworkArchitecture.CnnBaseline ? GradCamColumn : AttentionColumn;
    private const string PredictedNameColumn = "__AmilPredictedName";

    public static IEstimator<ITransformer> Build(MLContext ml, string bagColumn, float[] networkState, IReadOnlyList<string> classNames,
                                                 Networks.NetworkArchitecture architecture)
    {
        var probabilityColumns = Enumerable.Range(0, classNames.Count).Select(i => AttentionMilScoringMappingFactory.ProbabilityPrefix + i).ToArray();
        var allProbabilityColumns = Enumerable.Range(0, AttentionMilScoringMappingFactory.MaxClasses).Select(i => AttentionMilScoringMappingFactory.ProbabilityPrefix + i);
        var indexToName = classNames.Select((name, i) => new KeyValuePair<uint, string>((uint)i, name));
        var keyData = ml.Data.LoadFromEnumerable(classNames.Select(n => new ClassNameRow { Value = n }));

        return PersistedState.Attach(ml, AttentionMilScoringMappingFactory.StateColumn, networkState)
            .Append(ml.Transforms.CopyColumns(AttentionMilScoringMappingFactory.BagColumn, bagColumn))
            .Append(ml.Transforms.CopyColumns(AttentionMilScoringMappingFactory.LayoutColumn, PatchBaggingEstimator.LayoutColumnName(bagColumn)))
            .Append(ml.Transforms.CustomMapping<AttentionMilScoringMappingFactory.Input, AttentionMilScoringMappingFactory.Output>(
                AttentionMilScoringMappingFactory.Map, AttentionMilScoringMappingFactory.ContractName))
            .Append(ml.Transforms.Concatenate(ScoreColumn, probabilityColumns))
            .Append(ml.Transforms.CopyColumns(MapColumn(architecture), AttentionMilScoringMappingFactory.AttentionColumn))
            .Append(ml.Transforms.Conversion.MapValue(PredictedNameColumn, indexToName, AttentionMilScoringMappingFactory.PredictedIndexColumn))
            .Append(ml.Transforms.Conversion.MapValueToKey(PredictedLabelColumn, PredictedNameColumn, keyData: keyData))
            .Append(ml.Transforms.DropColumns(
                [.. allProbabilityColumns, PersistedState.KeyColumnName, AttentionMilScoringMappingFactory.StateColumn,
                 AttentionMilScoringMappingFactory.BagColumn, AttentionMilScoringMappingFactory.LayoutColumn,
                 AttentionMilScoringMappingFactory.PredictedIndexColumn, AttentionMilScoringMappingFactory.AttentionColumn, PredictedNameColumn]));
    }

    private sealed class ClassNameRow
    {
        public string Value { get; set; } = "";
    }
}
