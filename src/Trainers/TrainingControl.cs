namespace Amil.MLNet.Trainers;

/// <summary>
/// How one training run reports, stops and resumes — kept apart from <see cref="AttentionMilOptions"/>, which is
/// plain data (what to train). Give it with <see cref="AttentionMilTrainer.WithControl"/>. Epoch lines and warnings
/// also go to the <c>MLContext.Log</c> of the context the trainer came from, so a pipeline needs none of this to be
/// watched.
/// </summary>
public sealed class TrainingControl
{
    /// <summary>Write a training checkpoint here after every epoch (atomically). Default none.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Continue from <see cref="CheckpointPath"/> when it exists (same data and settings give the same model
    /// as an uninterrupted run). Default false: start afresh and overwrite it.</summary>
    public bool ResumeFromCheckpoint { get; init; }

    /// <summary>Stops training after the step in progress; with <see cref="CheckpointPath"/>, the checkpoint then holds
    /// the epoch's progress, and a resumed run ends as an uninterrupted one would. Default none.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Called after every bag with (bags done this epoch, bags in the epoch, training or validation) — for
    /// progress bars. Default none.</summary>
    public Action<int, int, bool>? OnBag { get; init; }

    /// <summary>Called after every epoch. Default none.</summary>
    public Action<EpochReport>? OnEpochEnd { get; init; }

    /// <summary>Called with a warning worth showing the user (e.g. a loss exploding while still finite). Default
    /// none.</summary>
    public Action<string>? OnWarning { get; init; }

    /// <summary>No checkpoint, no callbacks, never cancelled.</summary>
    public static TrainingControl None { get; } = new();
}
