using Amil.MLNet.Trainers.Networks;

namespace Amil.MLNet.Trainers;

/// <summary>What a trained Attention-MIL model is, beyond its weights: classes, network and how training went.
/// The <c>Model</c> of an <see cref="AttentionMilTransformer"/>.</summary>
public sealed class AttentionMilModelParameters
{
    internal AttentionMilModelParameters(
        IReadOnlyList<string> classNames,
        NetworkArchitecture architecture,
        IReadOnlyList<EpochReport> history,
        int bestEpoch,
        float temperature
    )
    {
        Temperature = temperature;
        ClassNames = classNames;
        Architecture = architecture;
        History = history;
        BestEpoch = bestEpoch;
    }

    /// <summary>Class names in key order (Score slot i = class i).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The network that was trained: Attention-MIL on patches or on features, or the CNN baseline.</summary>
    public NetworkArchitecture Architecture { get; }

    /// <summary>Per-epoch training and validation figures.</summary>
    public IReadOnlyList<EpochReport> History { get; }

    /// <summary>The epoch whose weights the model holds (lowest validation loss, or the last epoch without
    /// validation).</summary>
    public int BestEpoch { get; }

    /// <summary>The temperature the scored probabilities are computed at (softmax(logits / T)), fitted on the
    /// validation data (<see cref="AttentionMilOptions.CalibrateTemperature"/>); 1 when not calibrated. The
    /// uncalibrated probabilities are softmax(T · log p).</summary>
    public float Temperature { get; }
}
