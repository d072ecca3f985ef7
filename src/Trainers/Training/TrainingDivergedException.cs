namespace Amil.MLNet.Trainers.Training;

/// <summary>
/// The loss became NaN or infinite: the weights are ruined, so training stops at once. The last finished epoch's
/// checkpoint (when <see cref="TrainingControl.CheckpointPath"/> is set) was written before and is left as it is.
/// </summary>
public sealed class TrainingDivergedException(string message, int epoch) : Exception(message)
{
    /// <summary>The epoch in which the loss stopped being finite.</summary>
    public int Epoch { get; } = epoch;
}
