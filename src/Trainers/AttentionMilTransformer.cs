using Amil.MLNet.Trainers.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Amil.MLNet.Trainers;

/// <summary>
/// A trained Attention-MIL model: adds <c>Score</c> (C class probabilities, slots named by class),
/// <c>PredictedLabel</c> (key) and the map column named by its <see cref="MapKind"/>: <c>Attention</c> (one weight
/// per patch, summing to 1), <c>Contribution</c> (additive MIL), <c>ClassAttention</c> (CLAM) or <c>GradCam</c> (the
/// CNN baseline); class-aware models add <c>ClassMaps</c> (every class's map, class-major). Saves as ML.NET
/// stages; after <c>ml.RegisterAmilComponents()</c>, <c>ml.Model.Load</c> restores it (as a transformer chain).
/// </summary>
public sealed class AttentionMilTransformer
    : ISingleFeaturePredictionTransformer<AttentionMilModelParameters>,
        ICanSaveModel
{
    private readonly ITransformer _scoring;

    internal AttentionMilTransformer(
        ITransformer scoring,
        AttentionMilModelParameters model,
        string bagColumnName,
        DataViewType bagType
    )
    {
        _scoring = scoring;
        Model = model;
        FeatureColumnName = bagColumnName;
        FeatureColumnType = bagType;
    }

    /// <summary>Classes, network and training history.</summary>
    public AttentionMilModelParameters Model { get; }

    /// <summary>The bag column the model reads.</summary>
    public string FeatureColumnName { get; }

    /// <summary>The bag column's type.</summary>
    public DataViewType FeatureColumnType { get; }

    /// <summary>Class names in key order (Score slot i = class i).</summary>
    public IReadOnlyList<string> ClassNames => Model.ClassNames;

    /// <summary>Per-epoch training and validation figures.</summary>
    public IReadOnlyList<EpochReport> History => Model.History;

    /// <summary>The epoch whose weights the model holds.</summary>
    public int BestEpoch => Model.BestEpoch;

    /// <inheritdoc/>
    public bool IsRowToRowMapper => _scoring.IsRowToRowMapper;

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _scoring.GetOutputSchema(inputSchema);

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _scoring.GetRowToRowMapper(inputSchema);

    /// <summary>Scores lazily; a failure inside a row (e.g. an unreadable image) surfaces as its own exception, not as
    /// ML.NET's "worker encountered exception" wrapper.</summary>
    public IDataView Transform(IDataView input) => new UnwrappingDataView(_scoring.Transform(input));

    void ICanSaveModel.Save(ModelSaveContext ctx) => ((ICanSaveModel)_scoring).Save(ctx);
}
