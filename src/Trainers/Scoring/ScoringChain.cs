using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Persistence;
using Microsoft.ML;

namespace Amil.MLNet.Trainers.Scoring;

/// <summary>
/// Builds the saved scoring pipeline from ML.NET's own persistable stages around our stateless mapping:
/// network state (ValueMapping) → scoring mapping → Score (Concatenate of C slots) → PredictedLabel (key with class
/// names).
/// </summary>
internal static class ScoringChain
{
    // The map's column is named by its kind (MapKind.ColumnName): Attention, GradCam, Contribution, ClassAttention.
    public const string ScoreColumn = "Score",
        PredictedLabelColumn = "PredictedLabel",
        ClassMapsColumn = "ClassMaps";

    private const string PredictedNameColumn = "__AmilPredictedName";

    /// <param name="takenColumnNames">Columns of the input: a class whose name is one of them keeps an internal slot
    /// name.</param>
    public static IEstimator<ITransformer> Build(
        MLContext ml,
        string bagColumn,
        float[] networkState,
        IReadOnlyList<string> classNames,
        MapKind mapKind,
        IEnumerable<string> takenColumnNames
    )
    {
        var probabilityColumns = Enumerable
            .Range(0, classNames.Count)
            .Select(i => AttentionMilScoringMappingFactory.ProbabilityPrefix + i)
            .ToArray();
        var slotColumns = SlotColumns(classNames, probabilityColumns, Taken(bagColumn, takenColumnNames));
        var named = slotColumns
            .Select((c, i) => (c, i))
            .Where(x => x.c != probabilityColumns[x.i])
            .Select(x => new InputOutputColumnPair(x.c, probabilityColumns[x.i]))
            .ToArray();
        var allProbabilityColumns = Enumerable
            .Range(0, AttentionMilScoringMappingFactory.MaxClasses)
            .Select(i => AttentionMilScoringMappingFactory.ProbabilityPrefix + i);
        return PersistedState.Chain(
            ml,
            AttentionMilScoringMappingFactory.StateColumn,
            networkState,
            [
                (AttentionMilScoringMappingFactory.BagColumn, bagColumn),
                (AttentionMilScoringMappingFactory.LayoutColumn, PatchBaggingEstimator.LayoutColumnName(bagColumn)),
            ],
            ml.Transforms.CustomMapping<
                AttentionMilScoringMappingFactory.Input,
                AttentionMilScoringMappingFactory.Output
            >(AttentionMilScoringMappingFactory.Map, AttentionMilScoringMappingFactory.ContractName),
            Publish(ml, classNames, mapKind, slotColumns, named),
            [
                .. allProbabilityColumns,
                .. named.Select(p => p.OutputColumnName),
                AttentionMilScoringMappingFactory.PredictedIndexColumn,
                AttentionMilScoringMappingFactory.AttentionColumn,
                AttentionMilScoringMappingFactory.ClassMapsColumn,
                PredictedNameColumn,
            ]
        );
    }

    /// <summary>Column names a class's slot may not take: the input's and every column the chain writes.</summary>
    private static HashSet<string> Taken(string bagColumn, IEnumerable<string> takenColumnNames)
    {
        var taken = new HashSet<string>(takenColumnNames, StringComparer.Ordinal)
        {
            bagColumn,
            ScoreColumn,
            PredictedLabelColumn,
            ClassMapsColumn,
            PredictedNameColumn,
            PatchBaggingEstimator.LayoutColumnName(bagColumn),
            PatchBaggingEstimator.CoordinatesColumnName(bagColumn),
            PatchBaggingEstimator.FrameColumnName(bagColumn),
            PersistedState.KeyColumnName,
        };
        taken.UnionWith(Enum.GetValues<MapKind>().Select(k => k.ColumnName()));
        return taken;
    }

    /// <summary>Concatenate names each Score slot after its source column, and ML.NET's evaluator prints those slot
    /// names: so each probability is first copied to a column named after its class, unless that name is taken, is
    /// one of ours or names two classes.</summary>
    private static string[] SlotColumns(
        IReadOnlyList<string> classNames,
        string[] probabilityColumns,
        HashSet<string> taken
    ) =>
        classNames
            .Select(
                (name, i) =>
                    taken.Contains(name)
                    || name.StartsWith("__Amil", StringComparison.Ordinal)
                    || classNames.Count(n => n == name) > 1
                        ? probabilityColumns[i]
                        : name
            )
            .ToArray();

    /// <summary>The stages after the network: class-named slots, Score, the map (and every class's), the predicted
    /// label as a key with the class names.</summary>
    private static IEnumerable<IEstimator<ITransformer>> Publish(
        MLContext ml,
        IReadOnlyList<string> classNames,
        MapKind mapKind,
        string[] slotColumns,
        InputOutputColumnPair[] named
    )
    {
        var indexToName = classNames.Select((name, i) => new KeyValuePair<uint, string>((uint)i, name));
        var keyData = ml.Data.LoadFromEnumerable(classNames.Select(n => new ClassNameRow { Value = n }));
        return
        [
            .. named.Select(p => ml.Transforms.CopyColumns(p.OutputColumnName, p.InputColumnName)),
            ml.Transforms.Concatenate(ScoreColumn, slotColumns),
            ml.Transforms.CopyColumns(mapKind.ColumnName(), AttentionMilScoringMappingFactory.AttentionColumn),
            .. (
                mapKind.HasClassMaps()
                    ? new[]
                    {
                        ml.Transforms.CopyColumns(ClassMapsColumn, AttentionMilScoringMappingFactory.ClassMapsColumn),
                    }
                    : []
            ),
            ml.Transforms.Conversion.MapValue(
                PredictedNameColumn,
                indexToName,
                AttentionMilScoringMappingFactory.PredictedIndexColumn
            ),
            ml.Transforms.Conversion.MapValueToKey(PredictedLabelColumn, PredictedNameColumn, keyData: keyData),
        ];
    }

    private sealed class ClassNameRow
    {
        public string Value { get; set; } = "";
    }
}
