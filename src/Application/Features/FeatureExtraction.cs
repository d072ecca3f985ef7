using System.Diagnostics;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Features;

namespace Amil.MLNet.Application.Features;

/// <summary>Fills the feature cache for a list of images or slides (optionally one shard of it), reporting
/// progress.</summary>
public static class FeatureExtraction
{
    /// <param name="Images">Images, or slides for a whole-slide dataset (<see cref="Slides"/>).</param>
    /// <param name="Patches">Patches encoded, or tiles for slides.</param>
    public sealed record Summary(int Images, int Hits, int Computed, int Patches, double Seconds, bool Slides = false)
    {
        /// <summary>Patches per second over the images that had to be computed.</summary>
        public double PatchesPerSecond => Seconds > 0 ? Patches / Seconds : 0;
    }

    /// <summary>Shard "K/N" (1-based): images whose index in path order is K−1 modulo N. "auto" takes the shard from
    /// the job engine (see <see cref="ShardFromEnvironment"/>).</summary>
    public static (int Index, int Count) ParseShard(
        string? shard,
        Func<string, string?>? environment = null,
        int? shardCount = null
    )
    {
        if (string.IsNullOrWhiteSpace(shard))
            return (0, 1);
        if (shard.Equals("auto", StringComparison.OrdinalIgnoreCase))
            return ShardFromEnvironment(environment ?? Environment.GetEnvironmentVariable, shardCount);
        var parts = shard.Split('/');
        if (
            parts.Length == 2
            && int.TryParse(parts[0], out int k)
            && int.TryParse(parts[1], out int n)
            && n >= 1
            && k >= 1
            && k <= n
        )
            return (k - 1, n);
        throw new ArgumentException(
            $"--shard '{shard}' must be K/N with 1 ≤ K ≤ N, e.g. 2/4 for the second of four jobs, or auto."
        );
    }

    /// <summary>
    /// The shard of a Slurm job array task (SLURM_ARRAY_TASK_ID counted from SLURM_ARRAY_TASK_MIN, of
    /// SLURM_ARRAY_TASK_COUNT) or of a Kubernetes Indexed Job pod (JOB_COMPLETION_INDEX, 0-based, of
    /// <paramref name="shardCount"/>: Kubernetes does not tell a pod the number of completions). A given count
    /// overrides Slurm's.
    /// </summary>
    public static (int Index, int Count) ShardFromEnvironment(Func<string, string?> environment, int? shardCount)
    {
        int? Number(string name)
        {
            var text = environment(name);
            if (text is null)
                return null;
            return int.TryParse(text, out int value) && value >= 0
                ? value
                : throw new ArgumentException($"--shard auto: {name}='{text}' is not a whole number.");
        }
        (int Index, int Count) Checked(int index, int count, string source) =>
            count >= 1 && index < count
                ? (index, count)
                : throw new ArgumentException(
                    $"--shard auto: {source} gives shard {index + 1} of {count}; the index must be below the count."
                );
        if (Number("SLURM_ARRAY_TASK_ID") is { } task)
        {
            int first = Number("SLURM_ARRAY_TASK_MIN") ?? 0;
            int count =
                shardCount
                ?? Number("SLURM_ARRAY_TASK_COUNT")
                ?? throw new ArgumentException(
                    "--shard auto: SLURM_ARRAY_TASK_COUNT is not set; give the number of shards with --shard-count."
                );
            return Checked(task - first, count, "Slurm");
        }
        if (Number("JOB_COMPLETION_INDEX") is { } index)
            return Checked(
                index,
                shardCount
                    ?? throw new ArgumentException(
                        "--shard auto in a Kubernetes Indexed Job needs --shard-count (the Job's completions)."
                    ),
                "JOB_COMPLETION_INDEX"
            );
        throw new ArgumentException(
            "--shard auto found neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor JOB_COMPLETION_INDEX (a "
                + "Kubernetes Indexed Job); run it as such a job, or give --shard K/N."
        );
    }

    /// <summary>What one source's lookup did: found its entry, or computed this many patches (tiles) in so many
    /// seconds.</summary>
    public sealed record Lookup(bool Hit, int Patches, double Seconds);

    /// <summary>The images' lookup in their cache.</summary>
    public static Func<string, Action<int, int>?, CancellationToken, Lookup> Images(FeatureCache cache) =>
        (path, _, _) =>
        {
            var clock = Stopwatch.StartNew();
            var bag = cache.Get(path, out bool hit);
            return new Lookup(hit, bag.Layout.Count, clock.Elapsed.TotalSeconds);
        };

    /// <summary>The slides' lookup in their cache, with tile progress inside a slide.</summary>
    public static Func<string, Action<int, int>?, CancellationToken, Lookup> Slides(SlideFeatureCache cache) =>
        (path, onTiles, cancel) =>
        {
            var outcome = cache.Get(path, onTiles, cancel);
            return new Lookup(outcome.Hit, outcome.Bag.Tiles.Count, outcome.Seconds);
        };

    /// <summary>Claims for processes sharing a cache without a scheduler: <paramref name="Cached"/> tells a source
    /// whose entry is already written (no claim needed), <paramref name="Poll"/> how long to wait before looking again
    /// at sources other processes hold.</summary>
    public sealed record Claiming(SourceClaims Claims, Func<string, bool> Cached, TimeSpan Poll, Action<string> Log);

    /// <summary>Looks up every source of the shard in path order, images and slides alike; with
    /// <paramref name="claiming"/>, computes only the sources it claims and waits for the others to be written by
    /// their holders or to be given up (<see cref="SourceClaims"/>).</summary>
    /// <param name="lookup">A source's lookup (<see cref="Images"/>, <see cref="Slides"/>), given a callback for
    /// progress inside the source.</param>
    /// <param name="progress">Called after each source with (done, total).</param>
    /// <param name="inside">Called with (source, patches done, patches) while a long source is computed.</param>
    public static Summary Fill(
        IReadOnlyList<string> paths,
        Func<string, Action<int, int>?, CancellationToken, Lookup> lookup,
        (int Index, int Count) shard,
        Action<int, int>? progress,
        CancellationToken cancel = default,
        bool slides = false,
        Action<string, int, int>? inside = null,
        Claiming? claiming = null
    )
    {
        var mine = paths.Order(StringComparer.Ordinal).Where((_, i) => i % shard.Count == shard.Index).ToList();
        int hits = 0,
            computed = 0,
            patches = 0,
            done = 0;
        double computeSeconds = 0;
        void Look(string path)
        {
            var found = lookup(path, inside is null ? null : (d, n) => inside(path, d, n), cancel);
            if (found.Hit)
                hits++;
            else
            {
                computed++;
                patches += found.Patches;
                computeSeconds += found.Seconds;
            }
            progress?.Invoke(++done, mine.Count);
        }
        var pending = mine;
        for (bool first = true; pending.Count > 0; first = false)
        {
            var held = new List<(string Path, SourceClaims.Holder? Holder)>();
            foreach (var path in pending)
            {
                cancel.ThrowIfCancellationRequested();
                if (claiming is null || claiming.Cached(path))
                    Look(path);
                else if (claiming.Claims.TryClaim(path, out var holder))
                    Claimed(claiming.Claims, path, Look);
                else
                    held.Add((path, holder));
            }
            if (held.Count > 0)
                Wait(claiming!, held, first, cancel);
            pending = [.. held.Select(h => h.Path)];
        }
        return new Summary(mine.Count, hits, computed, patches, computeSeconds, slides);
    }

    /// <summary>Computes a claimed source, refreshing the claim while it runs and giving it back after.</summary>
    private static void Claimed(SourceClaims claims, string path, Action<string> look)
    {
        using var heartbeat = new Timer(
            _ => claims.Refresh(path),
            null,
            TimeSpan.FromSeconds(30),
            TimeSpan.FromSeconds(30)
        );
        try
        {
            look(path);
        }
        finally
        {
            claims.Release(path);
        }
    }

    private static void Wait(
        Claiming claiming,
        List<(string Path, SourceClaims.Holder? Holder)> held,
        bool first,
        CancellationToken cancel
    )
    {
        if (first)
            claiming.Log(
                $"{held.Count} sources are held by other processes ("
                    + string.Join(
                        ", ",
                        held.Select(h => $"{h.Holder?.Host} pid {h.Holder?.Process}").Distinct().Take(3)
                    )
                    + "); waiting for them to be written, or for a claim to time out and be taken over."
            );
        cancel.WaitHandle.WaitOne(claiming.Poll);
        cancel.ThrowIfCancellationRequested();
    }
}
