using System.Text.Json.Serialization;
using Amil.MLNet.Transforms.Encoders;

namespace Amil.MLNet.Application.Jobs;

/// <summary>
/// `bench --encoders FOLDER`: each encoder's speed and memory on this machine: the built-in ResNet18 and every
/// manifest in the folder (build/bench_encoders.py writes real architectures with random weights), on 1 thread and on
/// every core, in batches of 16 fixed patches after a warm-up batch.
/// </summary>
public static class EncoderBench
{
    public sealed record Row(
        [property: JsonPropertyName("encoder")] string Encoder,
        [property: JsonPropertyName("input_size")] int InputSize,
        [property: JsonPropertyName("features")] int Features,
        [property: JsonPropertyName("threads")] int Threads,
        [property: JsonPropertyName("tiles_per_second")] double TilesPerSecond,
        [property: JsonPropertyName("peak_extra_mb")] double PeakExtraMegabytes
    );

    private const int BatchSize = 16;

    public static IReadOnlyList<Row> Run(string folder, double seconds, Action<string> log)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException(
                $"{Path.GetFullPath(folder)}: no such folder of encoder manifests; write one with "
                    + "build/bench_encoders.py, or name a folder holding NAME.json manifests."
            );
        var encoders = Directory
            .EnumerateFiles(folder, "*.json")
            .Order(StringComparer.Ordinal)
            .Prepend(PatchEncoders.ResNet18)
            .ToList();
        var threads = new[] { 1, Environment.ProcessorCount }.Distinct().ToList();
        var rows = new List<Row>();
        foreach (var encoder in encoders)
        foreach (int n in threads)
        {
            double before = MemoryPeak.Reset();
            var report = EncoderCheck.Run(encoder, BatchSize, seconds, n);
            double peak = Math.Max(0, BenchJob.PeakRssMegabytes() - before);
            var m = report.Manifest;
            var row = new Row(
                m.Name,
                m.InputSize,
                m.FeatureSize,
                n,
                Math.Round(report.TilesPerSecond, 1),
                Math.Round(peak)
            );
            log(
                FormattableString.Invariant($"{row.Encoder} ({row.InputSize} px → {row.Features}), {n} thread(s): ")
                    + FormattableString.Invariant($"{row.TilesPerSecond} tiles/s, peak +{row.PeakExtraMegabytes} MB")
            );
            rows.Add(row);
        }
        return rows;
    }
}
