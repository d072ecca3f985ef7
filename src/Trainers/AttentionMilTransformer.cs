using Microsoft.ML;
using Microsoft.ML.Data;

namespace Amil.MLNet.Trainers;

/// <summary>
/// A trained Attention-MIL model: adds <c>Score</c> (C class probabilities), <c>PredictedLabel</c> (key) and
/// <c>Attention</c> (one weight per patch, summing to 1; for the CNN baseline the column is <c>GradCam</c>, one Grad-CAM
/// value per patch). Saves as ML.NET stages; after
/// <c>ml.RegisterAmilComponents()</c>, <c>ml.Model.Load</c> restores it (as a transformer chain).
/// </summary>
public sealed class AttentionMilTransformer : ITransformer, ICanSaveModel
{
    private readonly ITransformer _scoring;

    internal AttentionMilTransformer(ITransformer scoring, IReadOnlyList<string> classNames, IReadOnlyList<EpochReport> history, int bestEpoch)
    {
        _scoring = scoring;
        ClassNames = classNames;
        History = history;
        BestEpoch = bestEpoch;
    }

    /// <summary>Class names in key order (Score slot i = class i).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Per-epoch training and validation figures.</summary>
    public IReadOnlyList<EpochReport> History { get; }

    /// <summary>The epoch whose weights the model holds (lowest validation loss, or the last epoch without validation).</summary>
    public int BestEpoch { get; }

    public bool IsRowToRowMapper => _scoring.IsRowToRowMapper;
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _scoring.GetOutputSchema(inputSchema);
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _scoring.GetRowToRowMapper(inputSchema);
    public IDataView Transform(IDataView input) => _scoring.Transform(input);

    void ICanSaveModel.Save(ModelSaveContext ctx) => ((ICanSaveModel)_scoring).Save(ctx);
}
