using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Amil.MLNet.Transforms.Features;

/// <summary>
/// Bag of patches → bag of frozen ResNet18 features (N × 512, patch-major) in <c>{Output}</c>, with the bag's grid
/// copied to <c>{Output}Layout</c> so a trainer reads features exactly as it reads patches. Needs no training; saves
/// with its settings.
/// </summary>
public sealed class PatchFeatureEstimator : IEstimator<ITransformer>
{
    private readonly MLContext _ml;
    private readonly PatchFeatureOptions _options;

    internal PatchFeatureEstimator(MLContext ml, PatchFeatureOptions options)
    {
        _ml = ml ?? throw new ArgumentNullException(nameof(ml));
        options.Validate();
        _options = options;
    }

    /// <summary>Checks that the bag and its layout are there and returns the transformer.</summary>
    public ITransformer Fit(IDataView input)
    {
        Check(
            input.Schema.GetColumnOrNull(_options.InputColumnName) is not null,
            input.Schema.GetColumnOrNull(PatchBaggingEstimator.LayoutColumnName(_options.InputColumnName)) is not null
        );
        return BuildChain().Fit(input);
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        Check(
            inputSchema.Any(c => c.Name == _options.InputColumnName),
            inputSchema.Any(c => c.Name == PatchBaggingEstimator.LayoutColumnName(_options.InputColumnName))
        );
        return BuildChain().GetOutputSchema(inputSchema);
    }

    private void Check(bool bag, bool layout)
    {
        if (!bag || !layout)
            throw new ArgumentException(
                $"Patch features need the bag column '{_options.InputColumnName}' and its "
                    + $"'{PatchBaggingEstimator.LayoutColumnName(_options.InputColumnName)}' "
                    + "companion; add ml.Transforms.BagPatches before ExtractPatchFeatures."
            );
    }

    private IEstimator<ITransformer> BuildChain()
    {
        string output = _options.OutputColumnName;
        string layout = PatchBaggingEstimator.LayoutColumnName(_options.InputColumnName);
        return PersistedState.Chain(
            _ml,
            PatchFeatureMappingFactory.StateColumn,
            PatchFeatureState.Encode(_options),
            [
                (PatchFeatureMappingFactory.BagColumn, _options.InputColumnName),
                (PatchFeatureMappingFactory.LayoutColumn, layout),
            ],
            _ml.Transforms.CustomMapping<PatchFeatureMappingFactory.Input, PatchFeatureMappingFactory.Output>(
                PatchFeatureMappingFactory.Map,
                PatchFeatureMappingFactory.ContractName
            ),
            [
                _ml.Transforms.CopyColumns(output, PatchFeatureMappingFactory.FeaturesColumn),
                _ml.Transforms.CopyColumns(
                    PatchBaggingEstimator.LayoutColumnName(output),
                    PatchFeatureMappingFactory.LayoutColumn
                ),
            ],
            [PatchFeatureMappingFactory.FeaturesColumn]
        );
    }
}
