using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Amil.MLNet.Slides;

/// <summary>
/// Slide path → the slide's bag: frozen ResNet18 features of its tissue tiles in <c>{Output}</c> (N × 512,
/// tile-major), the bag's grid in <c>{Output}Layout</c> and each tile's level-0 corner in <c>{Output}Coordinates</c>:
/// the same columns <c>ExtractPatchFeatures</c> gives an image, so AttentionMil trains on slides as on images. Features
/// stream a batch of tiles at a time and are cached per slide (<see cref="SlideFeatures.CacheFolder"/>). Needs no
/// training; saves with its tiling.
/// </summary>
public sealed class SlideTilesEstimator : IEstimator<ITransformer>
{
    private readonly MLContext _ml;
    private readonly SlideTilesOptions _options;

    internal SlideTilesEstimator(MLContext ml, SlideTilesOptions options)
    {
        _ml = ml ?? throw new ArgumentNullException(nameof(ml));
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <summary>Checks that the input has the slide path column (text) and returns the transformer.</summary>
    public ITransformer Fit(IDataView input)
    {
        Check(name => input.Schema.GetColumnOrNull(name)?.Type is TextDataViewType);
        return BuildChain().Fit(input);
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        Check(name => inputSchema.Any(c => c.Name == name && c.ItemType is TextDataViewType));
        return BuildChain().GetOutputSchema(inputSchema);
    }

    private void Check(Func<string, bool> hasTextColumn)
    {
        if (!hasTextColumn(_options.InputColumnName))
            throw new ArgumentException(
                $"TileSlides needs a text column '{_options.InputColumnName}' of slide file paths; name it with "
                    + "SlideTilesOptions.InputColumnName."
            );
        if (_options.RegionsColumnName is { } regions && !hasTextColumn(regions))
            throw new ArgumentException(
                $"TileSlides needs a text column '{regions}' of each slide's annotation file (\"\" for all its "
                    + "tissue), as SlideTilesOptions.RegionsColumnName names it."
            );
        if (_options.AugmentationColumnName is { } augmentation && !hasTextColumn(augmentation))
            throw new ArgumentException(
                $"TileSlides needs a text column '{augmentation}' of each row's colour augmentation (\"hed 0.05 #1\", "
                    + "\"\" for none), as SlideTilesOptions.AugmentationColumnName names it."
            );
    }

    private IEstimator<ITransformer> BuildChain()
    {
        if (_options.RegionsColumnName is null && _options.AugmentationColumnName is null)
            return Chain(
                [],
                _ml.Transforms.CustomMapping<SlideTilesMappingFactory.Input, SlideTilesMappingFactory.Output>(
                    SlideTilesMappingFactory.Map,
                    SlideTilesMappingFactory.ContractName
                ),
                []
            );
        // Per-row settings: a setting the options do not take from the input reads an empty column.
        const string none = SlideTilesNoSettingMappingFactory.Column;
        bool both = _options.RegionsColumnName is not null && _options.AugmentationColumnName is not null;
        var perRow = Chain(
            [
                (SlideTilesPerRowMappingFactory.RegionsColumn, _options.RegionsColumnName ?? none),
                (SlideTilesPerRowMappingFactory.AugmentationColumn, _options.AugmentationColumnName ?? none),
            ],
            _ml.Transforms.CustomMapping<SlideTilesPerRowMappingFactory.Input, SlideTilesMappingFactory.Output>(
                SlideTilesPerRowMappingFactory.Map,
                SlideTilesPerRowMappingFactory.ContractName
            ),
            both ? [] : [none]
        );
        if (both)
            return perRow;
        return _ml
            .Transforms.CopyColumns(SlideTilesMappingFactory.PathColumn, _options.InputColumnName)
            .Append(
                _ml.Transforms.CustomMapping<
                    SlideTilesNoSettingMappingFactory.Input,
                    SlideTilesNoSettingMappingFactory.Output
                >(SlideTilesNoSettingMappingFactory.Map, SlideTilesNoSettingMappingFactory.ContractName)
            )
            .Append(perRow);
    }

    /// <summary>The state, the path and <paramref name="settings"/> copied to the mapping's private columns, the
    /// mapping, the public outputs, and every private column dropped.</summary>
    private IEstimator<ITransformer> Chain(
        IEnumerable<(string Private, string Source)> settings,
        IEstimator<ITransformer> mapping,
        IEnumerable<string> alsoDrop
    )
    {
        string output = _options.OutputColumnName;
        return PersistedState.Chain(
            _ml,
            SlideTilesMappingFactory.StateColumn,
            SlideTilesState.Encode(_options.Tiling, _options.Encoder, _options.Stain, _options.QualityControl),
            [(SlideTilesMappingFactory.PathColumn, _options.InputColumnName), .. settings],
            mapping,
            [
                _ml.Transforms.CopyColumns(output, SlideTilesMappingFactory.FeaturesColumn),
                _ml.Transforms.CopyColumns(
                    PatchBaggingEstimator.LayoutColumnName(output),
                    SlideTilesMappingFactory.LayoutColumn
                ),
                _ml.Transforms.CopyColumns(
                    PatchBaggingEstimator.CoordinatesColumnName(output),
                    SlideTilesMappingFactory.CoordinatesColumn
                ),
            ],
            [
                SlideTilesMappingFactory.FeaturesColumn,
                SlideTilesMappingFactory.LayoutColumn,
                SlideTilesMappingFactory.CoordinatesColumn,
                .. alsoDrop,
            ]
        );
    }
}
