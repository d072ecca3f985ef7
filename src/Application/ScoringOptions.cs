using Amil.MLNet.Trainers;

namespace Amil.MLNet.Application;

/// <summary>Where and from what a job scores: the device its models' networks run on, for slides the feature cache
/// their tiles' features come from (default <c>.cache/features</c>), and which shard of the items. Passed to each
/// job, never set for the process, so two jobs in one process can score on different devices and caches.</summary>
public sealed record ScoringOptions(ComputeDevice Device = default, string? FeatureCache = null)
{
    /// <summary>Score only this shard (0-based index, count) of the items, for the steps that split a cohort between
    /// jobs; the last shard to finish gets every item's scores and finishes the step (evaluate, heatmap and localize:
    /// <see cref="Jobs.ShardedScores"/>). Null: score every item.</summary>
    public (int Index, int Count)? Shard { get; init; }

    /// <summary>The CPU and the default feature cache.</summary>
    public static ScoringOptions Default { get; } = new();

    /// <summary>A model.zip of the kind a job needs, scoring on <see cref="Device"/> with <see cref="FeatureCache"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The model scores the other kind of input.</exception>
    public AmilModel Load(string path, ModelInput expected) =>
        ModelFiles.Load(path, expected).OnDevice(Device).WithFeatureCache(FeatureCache);

    /// <summary>A model.zip of either kind, scoring on <see cref="Device"/> with <see cref="FeatureCache"/>.</summary>
    public AmilModel Load(string path) => AmilModel.Load(path).OnDevice(Device).WithFeatureCache(FeatureCache);
}
