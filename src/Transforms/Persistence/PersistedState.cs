using Microsoft.ML;
using Microsoft.ML.Transforms;

namespace Amil.MLNet.Transforms.Persistence;

/// <summary>
/// Puts a state vector into a pipeline as a column, in a form ML.NET saves inside model.zip:
/// a stateless registered mapping emits a constant key, and ML.NET's ValueMapping maps that key to the vector.
/// ML.NET 5 keeps its own loader registration internal, so this is how a third-party component carries trained state.
/// </summary>
/// <remarks>Infrastructure shared by the Amil.MLNet packages, public so that none needs another's internals; not
/// meant to be called from your code, and it may change in any version.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class PersistedState
{
    /// <summary>The private column that carries the state key.</summary>
    public const string KeyColumnName = "__AmilStateKey";
    internal const string KeyValue = "state";

    internal static IEstimator<ITransformer> Attach(MLContext ml, string stateColumnName, float[] state) =>
        ml
            .Transforms.CustomMapping<StateKeyInput, StateKeyRow>(
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

    /// <summary>The shape of every saved stage of ours: the state attached, the inputs copied to the mapping's own
    /// column names, the registered mapping, the steps that publish its results, and the private columns
    /// dropped.</summary>
    /// <param name="inputs">(private name, source column) pairs the mapping reads.</param>
    /// <param name="publish">Steps after the mapping (copies to public names, concatenations, key mappings).</param>
    /// <param name="privateOutputs">The mapping's own columns and any helper columns, dropped at the end.</param>
    public static IEstimator<ITransformer> Chain(
        MLContext ml,
        string stateColumnName,
        float[] state,
        IEnumerable<(string Private, string Source)> inputs,
        IEstimator<ITransformer> mapping,
        IEnumerable<IEstimator<ITransformer>> publish,
        IEnumerable<string> privateOutputs
    )
    {
        var inputList = inputs.ToList();
        var chain = Attach(ml, stateColumnName, state);
        foreach (var (name, source) in inputList)
            chain = chain.Append(ml.Transforms.CopyColumns(name, source));
        chain = chain.Append(mapping);
        foreach (var step in publish)
            chain = chain.Append(step);
        string[] drop = [KeyColumnName, stateColumnName, .. inputList.Select(i => i.Private), .. privateOutputs];
        return chain.Append(ml.Transforms.DropColumns([.. drop.Distinct()]));
    }
}

/// <summary>ML.NET plumbing of saved state: the (empty) input row of the state-key mapping. Not for direct
/// use.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
internal sealed class StateKeyInput { }

/// <summary>ML.NET plumbing of saved state: the row the state-key mapping writes. Not for direct use.</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
internal sealed class StateKeyRow
{
    [Microsoft.ML.Data.ColumnName(PersistedState.KeyColumnName)]
    public string Key { get; set; } = PersistedState.KeyValue;
}

/// <summary>ML.NET plumbing: the registered mapping that emits the state key. Not for direct use.</summary>
[CustomMappingFactoryAttribute(ContractName)]
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
internal sealed class StateKeyMappingFactory : CustomMappingFactory<StateKeyInput, StateKeyRow>
{
    public const string ContractName = "Amil.StateKey.v1";

    public static void Map(StateKeyInput input, StateKeyRow output) => output.Key = PersistedState.KeyValue;

    public override Action<StateKeyInput, StateKeyRow> GetMapping() => Map;
}
