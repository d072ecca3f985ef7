using Amil.MLNet.Transforms.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Amil.MLNet.Transforms.Bagging;

/// <summary>
/// Image path column → bag of patches. Writes four columns: <c>{Output}</c> (float vector, N×C×P×P),
/// <c>{Output}Layout</c> (int vector, see <see cref="BagLayout"/>), <c>{Output}Coordinates</c> (int vector, x/y per patch)
/// and <c>{Output}Frame</c> (int vector, see <see cref="ImageFrame"/>: the resize and padding the coordinates refer to).
/// Needs no training; <see cref="Fit"/> returns a transformer that saves into model.zip with its settings.
/// </summary>
public sealed class PatchBaggingEstimator : IEstimator<ITransformer>
{
    private readonly MLContext _ml;
    private readonly PatchBaggingOptions _options;

    public PatchBaggingEstimator(MLContext ml, PatchBaggingOptions options)
    {
        _ml = ml ?? throw new ArgumentNullException(nameof(ml));
        options.Validate();
        _options = options.Clone();
    }

    public static string LayoutColumnName(string bagColumnName) => bagColumnName + "Layout";
    public static string CoordinatesColumnName(string bagColumnName) => bagColumnName + "Coordinates";
    public static string FrameColumnName(string bagColumnName) => bagColumnName + "Frame";

    public ITransformer Fit(IDataView input)
    {
        var column = input.Schema.GetColumnOrNull(_options.InputColumnName);
        CheckInput(column is not null, column?.Type == TextDataViewType.Instance, column?.Type.ToString());
        return BuildChain().Fit(input);
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var column = inputSchema.FirstOrDefault(c => c.Name == _options.InputColumnName);
        CheckInput(column.Name is not null, column.ItemType == TextDataViewType.Instance && column.Kind == SchemaShape.Column.VectorKind.Scalar,
                   column.ItemType?.ToString());
        return BuildChain().GetOutputSchema(inputSchema);
    }

    private void CheckInput(bool exists, bool isText, string? typeName)
    {
        if (!exists)
            throw new ArgumentException($"Patch bagging needs an input column '{_options.InputColumnName}' of image file paths (text); it is not in the data.");
        if (!isText)
            throw new ArgumentException($"Patch bagging input column '{_options.InputColumnName}' must hold image file paths (text), but it is {typeName}.");
    }

    private IEstimator<ITransformer> BuildChain()
    {
        string output = _options.OutputColumnName;
        return PersistedState.Attach(_ml, PatchBaggingMappingFactory.StateColumn, PatchBaggingState.Encode(_options))
            .Append(_ml.Transforms.CopyColumns(PatchBaggingMappingFactory.PathColumn, _options.InputColumnName))
            .Append(_ml.Transforms.CustomMapping<PatchBaggingMappingFactory.Input, PatchBaggingMappingFactory.Output>(
                PatchBaggingMappingFactory.Map, PatchBaggingMappingFactory.ContractName))
            .Append(_ml.Transforms.CopyColumns(output, PatchBaggingMappingFactory.BagColumn))
            .Append(_ml.Transforms.CopyColumns(LayoutColumnName(output), PatchBaggingMappingFactory.LayoutColumn))
            .Append(_ml.Transforms.CopyColumns(CoordinatesColumnName(output), PatchBaggingMappingFactory.CoordinatesColumn))
            .Append(_ml.Transforms.CopyColumns(FrameColumnName(output), PatchBaggingMappingFactory.FrameColumn))
            .Append(_ml.Transforms.DropColumns(
                PersistedState.KeyColumnName, PatchBaggingMappingFactory.StateColumn, PatchBaggingMappingFactory.PathColumn,
                PatchBaggingMappingFactory.BagColumn, PatchBaggingMappingFactory.LayoutColumn, PatchBaggingMappingFactory.CoordinatesColumn,
                PatchBaggingMappingFactory.FrameColumn));
    }
}
