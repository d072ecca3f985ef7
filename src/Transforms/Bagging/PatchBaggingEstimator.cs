using Amil.MLNet.Transforms.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Amil.MLNet.Transforms.Bagging;

/// <summary>
/// Image column (file paths, or encoded image bytes from <c>LoadRawImageBytes</c>) → bag of patches. Writes four
/// columns: <c>{Output}</c> (float vector, N×C×P×P), <c>{Output}Layout</c> (int vector, see <see cref="BagLayout"/>),
/// <c>{Output}Coordinates</c> (int vector, x/y per patch) and <c>{Output}Frame</c> (int vector, see
/// <see cref="ImageFrame"/>: the resize and padding the coordinates refer to). Needs no training; <see cref="Fit"/>
/// returns a transformer that saves into model.zip with its settings.
/// </summary>
public sealed class PatchBaggingEstimator : IEstimator<ITransformer>
{
    private readonly MLContext _ml;
    private readonly PatchBaggingOptions _options;

    internal PatchBaggingEstimator(MLContext ml, PatchBaggingOptions options)
    {
        _ml = ml ?? throw new ArgumentNullException(nameof(ml));
        options.Validate();
        _options = options.Clone();
    }

    /// <summary>The bag grid column that comes with bag column <paramref name="bagColumnName"/>:
    /// <c>{name}Layout</c>.</summary>
    public static string LayoutColumnName(string bagColumnName) => bagColumnName + "Layout";

    /// <summary>The patch corners column (x, y in pixels) that comes with a bag column:
    /// <c>{name}Coordinates</c>.</summary>
    public static string CoordinatesColumnName(string bagColumnName) => bagColumnName + "Coordinates";

    /// <summary>The resize and padding column that comes with a bag column: <c>{name}Frame</c>.</summary>
    public static string FrameColumnName(string bagColumnName) => bagColumnName + "Frame";

    /// <summary>Checks the input column (text paths or encoded bytes) and returns the transformer.</summary>
    public ITransformer Fit(IDataView input)
    {
        var column = input.Schema.GetColumnOrNull(_options.InputColumnName);
        if (column is null)
            throw MissingInput();
        return BuildChain(KindOf(column.Value.Type, column.Value.Type.ToString() ?? "")).Fit(input);
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var column = inputSchema.FirstOrDefault(c => c.Name == _options.InputColumnName);
        if (column.Name is null)
            throw MissingInput();
        var kind =
            column.Kind == SchemaShape.Column.VectorKind.Scalar ? KindOf(column.ItemType, $"{column.ItemType}")
            : column.ItemType == NumberDataViewType.Byte ? InputKind.Bytes
            : throw WrongInput($"a vector of {column.ItemType}");
        return BuildChain(kind).GetOutputSchema(inputSchema);
    }

    /// <summary>What the input column holds.</summary>
    private enum InputKind
    {
        Path,
        Bytes,
    }

    private InputKind KindOf(DataViewType type, string typeName) =>
        type switch
        {
            TextDataViewType => InputKind.Path,
            // Neither way into a decoded MLImage works on ML.NET 5.0.1: a custom mapping cannot declare an MLImage
            // input, and MLImage's pixels (ExtractPixels) need SkiaSharp 2.88 while this library, like ScottPlot
            // 5.1, needs SkiaSharp 3 (dotnet/machinelearning#7413).
            ImageDataViewType => throw new ArgumentException(
                $"Patch bagging input column '{_options.InputColumnName}' holds decoded images "
                    + "(ml.Transforms.LoadImages), whose pixels ML.NET 5.0.1 cannot hand over with SkiaSharp 3 "
                    + "(dotnet/machinelearning#7413); load the encoded bytes instead: "
                    + "ml.Transforms.LoadRawImageBytes(...), or pass the file paths."
            ),
            VectorDataViewType { ItemType: var item } when item == NumberDataViewType.Byte => InputKind.Bytes,
            _ => throw WrongInput(typeName),
        };

    private ArgumentException MissingInput() =>
        new(
            $"Patch bagging needs an input column '{_options.InputColumnName}' of image file paths (text) or "
                + "encoded image bytes (ml.Transforms.LoadRawImageBytes); it is not in the data."
        );

    private ArgumentException WrongInput(string typeName) =>
        new(
            $"Patch bagging input column '{_options.InputColumnName}' must hold image file paths (text) or image "
                + $"bytes, but it is {typeName}."
        );

    private IEstimator<ITransformer> BuildChain(InputKind kind)
    {
        string output = _options.OutputColumnName;
        var (inputCopy, mapping) = kind switch
        {
            InputKind.Bytes => (
                PatchBaggingBytesMappingFactory.BytesColumn,
                (IEstimator<ITransformer>)
                    _ml.Transforms.CustomMapping<
                        PatchBaggingBytesMappingFactory.Input,
                        PatchBaggingMappingFactory.Output
                    >(PatchBaggingBytesMappingFactory.Map, PatchBaggingBytesMappingFactory.ContractName)
            ),
            _ => (
                PatchBaggingMappingFactory.PathColumn,
                _ml.Transforms.CustomMapping<PatchBaggingMappingFactory.Input, PatchBaggingMappingFactory.Output>(
                    PatchBaggingMappingFactory.Map,
                    PatchBaggingMappingFactory.ContractName
                )
            ),
        };
        (string Public, string Private)[] outputs =
        [
            (output, PatchBaggingMappingFactory.BagColumn),
            (LayoutColumnName(output), PatchBaggingMappingFactory.LayoutColumn),
            (CoordinatesColumnName(output), PatchBaggingMappingFactory.CoordinatesColumn),
            (FrameColumnName(output), PatchBaggingMappingFactory.FrameColumn),
        ];
        return PersistedState.Chain(
            _ml,
            PatchBaggingMappingFactory.StateColumn,
            PatchBaggingState.Encode(_options),
            [(inputCopy, _options.InputColumnName)],
            mapping,
            outputs.Select(o => _ml.Transforms.CopyColumns(o.Public, o.Private)),
            outputs.Select(o => o.Private)
        );
    }
}
