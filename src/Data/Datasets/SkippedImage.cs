namespace Amil.MLNet.Data.Datasets;

/// <summary>What to do with a file that cannot be used (corrupt, truncated, empty, too small, not an image).</summary>
public enum BadImagePolicy
{
    /// <summary>Stop before training with a message naming every bad file (default: nothing is dropped
    /// silently).</summary>
    Error,

    /// <summary>Leave bad files out and count them, with the reason, in the run's report.</summary>
    Skip,
}

/// <summary>A file left out of a run, and why.</summary>
public sealed record SkippedImage(string Path, string Reason);
