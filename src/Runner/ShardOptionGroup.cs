using System.CommandLine;
using Amil.MLNet.Application.Features;

namespace Amil.MLNet.Runner;

/// <summary>--shard and --shard-count, for the commands that split a cohort between jobs (features, predict,
/// evaluate, heatmap, localize).</summary>
internal sealed class ShardOptionGroup
{
    private readonly Option<string?> _shard;
    private readonly Option<int?> _count = new("--shard-count")
    {
        Description = "Number of shards for --shard auto (required in a Kubernetes Indexed Job).",
    };

    /// <param name="what">What a shard does and where its results go, after "Process only shard K of N (e.g. 2/4)".
    /// </param>
    public ShardOptionGroup(Command command, string what)
    {
        _shard = new Option<string?>("--shard")
        {
            Description =
                $"Process only shard K of N (e.g. 2/4){what}; auto takes it from a Slurm job array "
                + "(SLURM_ARRAY_TASK_ID/COUNT) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX with --shard-count).",
        };
        command.Options.Add(_shard);
        command.Options.Add(_count);
    }

    /// <summary>What --shard does for a step that needs every item's score for <paramref name="result"/>.</summary>
    public static string Scoring(string result) =>
        " of the items into OUT/shards/ (the scores of each); the last shard to finish reads every shard's scores "
        + $"and writes {result}; a shard already stored for the same items and model is not scored again";

    /// <summary>The shard asked for (0-based index, count); null when --shard is not given.</summary>
    public (int Index, int Count)? Read(ParseResult r) =>
        r.GetValue(_shard) is { } shard
            ? FeatureExtraction.ParseShard(
                shard,
                Environment.GetEnvironmentVariable,
                CommonOptions.PositiveOrNull(r, _count)
            )
            : null;
}
