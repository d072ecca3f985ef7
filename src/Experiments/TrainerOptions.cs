using Amil.MLNet.Trainers;

namespace Amil.MLNet.Experiments;

/// <summary>The trainer options a run's settings ask for, the same for image and slide runs; the caller adds what
/// is its own (bag column, checkpoint).</summary>
internal static class TrainerOptions
{
    public static AttentionMilOptions From(
        TrainSettings settings,
        ComputeDevice device,
        Action<string> log,
        CancellationToken cancel
    ) =>
        new()
        {
            Architecture = settings.Network,
            CnnInputScale = settings.CnnInputScale,
            MaxEpochs = settings.Epochs,
            Seed = settings.Seed,
            Pooling = settings.Pooling,
            ClamInstanceSamples = settings.ClamInstanceSamples,
            ClamBagWeight = settings.ClamBagWeight,
            AdditiveHiddenSize = settings.AdditiveHidden,
            EarlyStoppingPatience = settings.Patience,
            BalanceClasses = settings.BalanceClasses,
            LearningRate = settings.LearningRate,
            Device = device,
            BatchBags = settings.BatchBags,
            ReadWorkers = settings.Workers ?? AttentionMilOptions.DefaultReadWorkers,
            ValidationFraction = 0, // the run's split gives the validation set
            Cancellation = cancel,
            OnBag = settings.OnBag,
            OnWarning = log,
            OnEpochEnd = r => log(EpochLine(r)),
        };

    /// <summary>One epoch as the log shows it.</summary>
    public static string EpochLine(EpochReport r) =>
        $"epoch {r.Epoch, 3}/{r.MaxEpochs}  train loss {r.TrainLoss:F4} acc {r.TrainAccuracy:F3}"
        + (r.ValidationLoss is null ? "" : $"  val loss {r.ValidationLoss:F4} acc {r.ValidationAccuracy:F3}")
        + $"  {r.Seconds:F1}s{(r.IsBest ? "  *best" : "")}";
}
