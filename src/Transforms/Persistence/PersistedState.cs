using Microsoft.ML;
using Microsoft.ML.Transforms;

namespace Amil.MLNet.Transforms.Persistence;

/// <summary>
/// Puts a state vector into a pipeline as a column, in a form ML.NET saves inside model.zip:
/// a stateless registered mapping emits a constant key, and ML.NET's ValueMapping maps that key to the vector.
/// ML.NET 5 keeps its own loader registration internal, so this is how a third-party component carries trained state.
/// </summary>
public static class PersistedState
{
    public const string KeyColumnName = "__AmilStateKey";
    internal const string KeyValue = "state";

    public static IEstimator<ITransformer> Attach(MLContext ml, string stateColumnName, float[] state) =>
        ml
            .Transforms.CustomMapping<NoColumns, StateKeyRow>(
                StateKeyMappingFactory.Map,
                StateKeyMappingFactory.ContractName
            )
            .Append(
                ml.Transforms.Conversion.MapValue(
                    stateColumnName,
                    new[] { new KeyValuePair<string, float[]>(KeyValue, state) },
                    KeyColumnName
                )
            );

    public sealed class NoColumns { }

    public sealed class StateKeyRow
    {
        [Microsoft.ML.Data.ColumnName(KeyColumnName)]
        public string Key { get; set; } = KeyValue;
    }
}

[CustomMappingFactoryAttribute(ContractName)]
public sealed class StateKeyMappingFactory : CustomMappingFactory<PersistedState.NoColumns, PersistedState.StateKeyRow>
{
    public const string ContractName = "Amil.StateKey.v1";

    public static void Map(PersistedState.NoColumns input, PersistedState.StateKeyRow output) =>
        output.Key = PersistedState.KeyValue;

    public override Action<PersistedState.NoColumns, PersistedState.StateKeyRow> GetMapping() => Map;
}
