using System.Diagnostics;

namespace Amil.MLNet.Experiments.Features;

/// <summary>Fills a feature cache for a list of images (optionally one shard of it), reporting progress.</summary>
public static class FeatureExtraction
{
    public sealed record Summary(int Images, int Hits, int Computed, int Patches, double Seconds)
    {
        /// <summary>Patches per second over the images that had to be computed.</summary>
        public double PatchesPerSecond => Seconds > 0 ? Patches / Seconds : 0;
    }

    /// <summary>Shard "K/N" (1-based): images whose index in path order is K−1 modulo N.</summary>
    public static (int Index, int Count) ParseShard(string? shard)
    {
        if (string.IsNullOrWhiteSpace(shard))
            return (0, 1);
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
            $"--shard '{shard}' must be K/N with 1 ≤ K ≤ N, e.g. 2/4 for the second of four jobs."
        );
    }

    /// <param name="progress">Called after each image with (done, total).</param>
    public static Summary Fill(
        FeatureCache cache,
        IReadOnlyList<string> imagePaths,
        (int Index, int Count) shard,
        Action<int, int>? progress,
        CancellationToken cancel = default
    )
    {
        var mine = imagePaths.Order(StringComparer.Ordinal).Where((_, i) => i % shard.Count == shard.Index).ToList();
        int hits = 0,
            computed = 0,
            patches = 0,
            done = 0;
        double computeSeconds = 0;
        foreach (var path in mine)
        {
            cancel.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            var bag = cache.Get(path, out bool hit);
            if (hit)
                hits++;
            else
            {
                computed++;
                patches += bag.Layout.Count;
                computeSeconds += clock.Elapsed.TotalSeconds;
            }
            progress?.Invoke(++done, mine.Count);
        }
        return new Summary(mine.Count, hits, computed, patches, computeSeconds);
    }
}
