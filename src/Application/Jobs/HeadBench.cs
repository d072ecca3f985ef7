using System.Text.Json.Serialization;
using Amil.MLNet.Trainers;
using Amil.MLNet.Trainers.Diagnostics;

namespace Amil.MLNet.Application.Jobs;

/// <summary>
/// `bench --slide-heads`: what each MIL head costs on a slide-sized bag of 512-feature tiles (frozen ResNet18's
/// width): one training step (forward, backward) and one scoring pass with the map, in seconds, and the peak resident
/// memory above the process's before each (Linux: the peak is reset through /proc/self/clear_refs).
/// </summary>
public static class HeadBench
{
    public sealed record Row(
        [property: JsonPropertyName("head")] string Head,
        [property: JsonPropertyName("tiles")] int Tiles,
        [property: JsonPropertyName("train_step_seconds")] double TrainStepSeconds,
        [property: JsonPropertyName("score_seconds")] double ScoreSeconds,
        [property: JsonPropertyName("peak_extra_mb")] double PeakExtraMegabytes
    );

    private const int Features = 512;

    public static IReadOnlyList<Row> Run(IReadOnlyList<int> tiles, Action<string> log)
    {
        if (tiles.Count == 0 || tiles.Any(n => n < 1))
            throw new ArgumentException("Bag sizes must be positive numbers of tiles, e.g. 1000,10000,50000.");
        var rows = new List<Row>();
        foreach (var head in Heads.Pooling.Where(h => h.TrainsOnSlides))
        foreach (int n in tiles.Order())
        {
            string name = head.Name;
            double before = MemoryPeak.Reset();
            var (train, score) = HeadBenchmark.Measure(head, n, Features);
            double peak = BenchJob.PeakRssMegabytes() - before;
            var row = new Row(name, n, Math.Round(train, 3), Math.Round(score, 3), Math.Round(Math.Max(0, peak)));
            log(
                $"{name}, {n} tiles: training step {row.TrainStepSeconds} s, scoring {row.ScoreSeconds} s, "
                    + $"peak +{row.PeakExtraMegabytes} MB"
            );
            rows.Add(row);
        }
        return rows;
    }
}
