using System.Text.Json.Serialization;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Maps.Metrics;
using Amil.MLNet.Trainers.Training;

namespace Amil.MLNet.Application;

/// <summary>metrics.json's "calibration": the temperature the model scores at (fitted on the validation split) and
/// what it did to the test split's probabilities — ECE, Brier score and log-loss before (T = 1) and after, with the
/// reliability diagram's bins for both. The predicted classes, and so accuracy, are the same before and
/// after.</summary>
public sealed record CalibrationBlock(
    [property: JsonPropertyName("temperature")] double Temperature,
    [property: JsonPropertyName("fitted_on")] string FittedOn,
    [property: JsonPropertyName("measured_on")] string MeasuredOn,
    [property: JsonPropertyName("ece_before")] double EceBefore,
    [property: JsonPropertyName("ece")] double Ece,
    [property: JsonPropertyName("brier_before")] double BrierBefore,
    [property: JsonPropertyName("brier")] double Brier,
    [property: JsonPropertyName("log_loss_before")] double LogLossBefore,
    [property: JsonPropertyName("log_loss")] double LogLoss,
    [property: JsonPropertyName("bins_before")] IReadOnlyList<ReliabilityBin> BinsBefore,
    [property: JsonPropertyName("bins")] IReadOnlyList<ReliabilityBin> Bins
)
{
    /// <summary>The block for scores computed at <paramref name="temperature"/>: their uncalibrated probabilities are
    /// recovered exactly (softmax(T · log p)); the calibrated figures are the split's own <paramref
    /// name="measured"/> block's, so the two agree by construction.</summary>
    /// <param name="fittedOn">What T was fitted on, e.g. "validation (24 images)".</param>
    /// <param name="measuredOn">What the figures are measured on, e.g. "test (40 images)".</param>
    public static CalibrationBlock Of(
        ClassificationMetrics measured,
        IReadOnlyList<ScoredImage> scored,
        IReadOnlyList<ImageRecord> records,
        IReadOnlyList<string> classNames,
        float temperature,
        string fittedOn,
        string measuredOn
    )
    {
        var truth = Evaluation.Truth(classNames, records);
        var after = scored.Select(s => s.Probabilities).ToList();
        var before = after.Select(p => TemperatureScaling.Apply(p, 1 / temperature)).ToList();
        static double Round(double v) => Math.Round(v, 4);
        return new CalibrationBlock(
            Math.Round(temperature, 4),
            fittedOn,
            measuredOn,
            Round(Calibration.ExpectedError(before, truth)),
            Round(measured.Ece!.Value),
            Round(Calibration.Brier(before, truth)),
            Round(measured.Brier!.Value),
            Round(ClassificationMetrics.MeanLogLoss(before, truth)),
            Round(measured.LogLoss),
            Calibration.Diagram(before, truth),
            Calibration.Diagram(after, truth)
        );
    }
}
