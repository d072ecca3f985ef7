using Amil.MLNet.Trainers;
using Microsoft.ML;

namespace Amil.MLNet.Application;

/// <summary>The trainer a run's settings ask for, the same for image and slide runs: the settings record in, the
/// library's plain options and the run's control (checkpoint in the run folder, log, progress, cancellation)
/// out.</summary>
internal static class RunTrainer
{
    public static AttentionMilTrainer Create(
        MLContext ml,
        TrainSettings settings,
        ComputeDevice device,
        string bagColumn,
        string runDirectory,
        Action<string> log,
        CancellationToken cancel
    )
    {
        var options = new AttentionMilOptions
        {
            BagColumnName = bagColumn,
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
        };
        var control = new TrainingControl
        {
            CheckpointPath = Path.Combine(runDirectory, RunFiles.CheckpointFile),
            ResumeFromCheckpoint = settings.ResumeFromCheckpoint,
            Cancellation = cancel,
            OnBag = settings.OnBag,
            OnWarning = log,
            OnEpochEnd = r => log(r.Describe()),
        };
        return ml.MulticlassClassification.Trainers.AttentionMil(options).WithControl(control);
    }
}
