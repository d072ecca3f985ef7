using System.Text.Json;
using System.Text.Json.Serialization;

namespace Amil.MLNet.Transforms.Encoders;

/// <summary>One timing of an encoder: patches per ONNX Runtime call, its threads, and the patches per second.</summary>
public sealed record EncoderTrial(
    [property: JsonPropertyName("batch_size")] int BatchSize,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("tiles_per_second")] double TilesPerSecond
);

/// <summary>The fastest batch size and threads measured for an encoder on one kind of machine (CPU and cores), with
/// every trial.</summary>
public sealed record EncoderTuningChoice(
    [property: JsonPropertyName("encoder")] string Encoder,
    [property: JsonPropertyName("cpu")] string Cpu,
    [property: JsonPropertyName("cores")] int Cores,
    [property: JsonPropertyName("batch_size")] int BatchSize,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("tiles_per_second")] double TilesPerSecond,
    [property: JsonPropertyName("trials")] IReadOnlyList<EncoderTrial> Trials
);

/// <summary>
/// Batch size and threads for an encoder chosen by measurement: <see cref="Tune"/> times each pair on this machine
/// and <see cref="Save(EncoderTuningChoice, string?)"/> keeps the fastest in a tuning file
/// (<see cref="DefaultFile"/>), one entry per encoder, CPU and core count. Slide encoding (SlideFeatureCache) and the
/// shared extractor use the entry for this machine when there is one; otherwise batches of 16 on every core.
/// </summary>
public static class EncoderTuning
{
    /// <summary>Names the tuning file instead of <c>.cache/encoder-tuning.json</c> under the working folder.</summary>
    public const string EnvironmentVariable = "AMIL_ENCODER_TUNING";

    /// <summary>The tuning file: <see cref="EnvironmentVariable"/>, else <c>.cache/encoder-tuning.json</c>.</summary>
    public static string DefaultFile =>
        Path.GetFullPath(
            Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } file
                ? file
                : Path.Combine(".cache", "encoder-tuning.json")
        );

    /// <summary>Pairs this share slower than the fastest count as fast as it (timings repeat to a few per
    /// cent).</summary>
    public const double Tolerance = 0.03;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Times <paramref name="encoder"/> at every pair of <paramref name="batchSizes"/> and
    /// <paramref name="threads"/> for <paramref name="seconds"/> each; the choice is the pair with the fewest threads,
    /// then the smallest batch, of those within <see cref="Tolerance"/> of the fastest.</summary>
    /// <param name="onTrial">Called after each trial.</param>
    public static EncoderTuningChoice Tune(
        string encoder,
        IReadOnlyList<int> batchSizes,
        IReadOnlyList<int> threads,
        double seconds,
        Action<EncoderTrial>? onTrial = null
    )
    {
        if (batchSizes.Count == 0 || threads.Count == 0 || batchSizes.Any(b => b < 1) || threads.Any(t => t < 1))
            throw new ArgumentException("Encoder tuning: give at least one batch size and thread count, all positive.");
        var trials = new List<EncoderTrial>();
        foreach (int t in threads.Distinct())
        foreach (int b in batchSizes.Distinct())
        {
            var report = EncoderCheck.Run(encoder, b, seconds, t);
            var trial = new EncoderTrial(b, t, Math.Round(report.TilesPerSecond, 2));
            trials.Add(trial);
            onTrial?.Invoke(trial);
        }
        // Timings a few per cent apart are noise: of the pairs within Tolerance of the fastest, the fewest threads
        // (the rest read and decode tiles meanwhile), then the smallest batch (memory).
        double fastest = trials.Max(t => t.TilesPerSecond);
        var best = trials
            .Where(t => t.TilesPerSecond >= (1 - Tolerance) * fastest)
            .OrderBy(t => t.Threads)
            .ThenBy(t => t.BatchSize)
            .First();
        return new EncoderTuningChoice(
            PatchEncoders.Identity(encoder),
            MachineCpu.Description,
            Environment.ProcessorCount,
            best.BatchSize,
            best.Threads,
            best.TilesPerSecond,
            trials
        );
    }

    /// <summary>Writes <paramref name="choice"/> into the tuning file (atomically), replacing the entry for the same
    /// encoder and machine and keeping the others, also those other processes save at the same time (hosts sharing
    /// the file take turns through FILE.lock).</summary>
    /// <exception cref="TimeoutException">Another process held the file's lock for over a minute.</exception>
    public static void Save(EncoderTuningChoice choice, string? file = null) =>
        Save(choice, file ?? DefaultFile, TimeSpan.FromMinutes(1));

    internal static void Save(EncoderTuningChoice choice, string file, TimeSpan patience)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        using var turn = Turn(file + ".lock", patience);
        var entries = (File.Exists(file) ? Parse(file) : [])
            .Where(e => !(e.Encoder == choice.Encoder && e.Cpu == choice.Cpu && e.Cores == choice.Cores))
            .Append(choice)
            .ToList();
        AtomicFile.WriteText(file, JsonSerializer.Serialize(entries, Json) + "\n");
    }

    /// <summary>The lock file held exclusively (an advisory lock, released when the process ends).</summary>
    private static FileStream Turn(string path, TimeSpan patience)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (clock.Elapsed < patience && File.Exists(path))
            {
                Thread.Sleep(50);
            }
            catch (IOException e) when (File.Exists(path))
            {
                throw new TimeoutException(
                    $"Another process has held {path} for over {patience.TotalSeconds:F0} s while saving encoder "
                        + "tunings; wait for it to finish and tune again.",
                    e
                );
            }
        }
    }

    /// <summary>The choice for <paramref name="encoder"/> on this machine (this CPU and core count), or null.</summary>
    /// <exception cref="InvalidDataException">The tuning file is not one this library wrote.</exception>
    public static EncoderTuningChoice? Find(string encoder, string? file = null)
    {
        string identity = PatchEncoders.Identity(encoder);
        return Read(file ?? DefaultFile)
            .LastOrDefault(e =>
                e.Encoder == identity && e.Cpu == MachineCpu.Description && e.Cores == Environment.ProcessorCount
            );
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<
        (string File, DateTime Written),
        List<EncoderTuningChoice>
    > Known = new();

    /// <summary>The file's entries, read once per version of the file (slide encoding asks per slide).</summary>
    private static List<EncoderTuningChoice> Read(string file)
    {
        if (!File.Exists(file))
            return [];
        return Known.GetOrAdd((file, File.GetLastWriteTimeUtc(file)), _ => Parse(file));
    }

    private static List<EncoderTuningChoice> Parse(string file)
    {
        try
        {
            var entries = JsonSerializer.Deserialize<List<EncoderTuningChoice>>(File.ReadAllText(file)) ?? [];
            if (entries.Any(e => e is null || e.Encoder is null || e.BatchSize < 1 || e.Threads < 1))
                throw new JsonException("an entry lacks its encoder, batch size or threads");
            return entries;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(
                $"{file}: not an encoder tuning file ({e.Message}); delete it and run `amil encoders tune` again, "
                    + $"or point {EnvironmentVariable} elsewhere.",
                e
            );
        }
    }
}
