using System.Diagnostics;
using System.Text.Json.Serialization;
using Amil.MLNet.Application.Runs;
using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Trainers;
using Amil.MLNet.Trainers.Kernels;

namespace Amil.MLNet.Application.Jobs;

/// <summary>`bench --soak-slides N`: a long run over many small generated slides through the two cohort steps,
/// features (every slide's tiles encoded into the cache, as `features` does) and scoring (a slide model trained on
/// them scores every slide, as `predict` does), sampling the process's resident memory and speed after each slide.
/// Measures whether memory stays flat and speed steady once warm.</summary>
public static class SoakJob
{
    /// <summary>The bars: after warm-up, memory may grow and speed drop by at most this share.</summary>
    public const double Bar = 0.10;

    /// <summary>One sample: after so many slides, so many seconds into the step, this resident memory.</summary>
    public sealed record Sample(
        [property: JsonPropertyName("slides")] int Slides,
        [property: JsonPropertyName("seconds")] double Seconds,
        [property: JsonPropertyName("rss_mb")] double RssMegabytes
    )
    {
        /// <summary>Scoring: of the slide's time, the seconds its tiles took to read and encode (the rest is the
        /// network, the map and the row's way through the pipeline).</summary>
        [JsonPropertyName("encode_seconds")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public double? EncodeSeconds { get; init; }

        /// <summary>The garbage collector's full (generation 2) collections so far in the process.</summary>
        [JsonPropertyName("full_collections")]
        public int FullCollections { get; init; } = GC.CollectionCount(2);
    }

    /// <summary>One step's curve and what it shows once warm: memory growth (median of the last tenth of the slides
    /// against the median of the tenth after warm-up: the garbage collector's sawtooth is not growth), the memory
    /// trend (least squares, MB per 1,000 slides), the peak, and the speed drop from the tenth after warm-up to the
    /// last.</summary>
    public sealed record Step(
        [property: JsonPropertyName("step")] string Name,
        [property: JsonPropertyName("warm_up_slides")] int WarmUpSlides,
        [property: JsonPropertyName("rss_early_mb")] double RssEarly,
        [property: JsonPropertyName("rss_late_mb")] double RssLate,
        [property: JsonPropertyName("rss_peak_mb")] double RssPeak,
        [property: JsonPropertyName("rss_growth")] double RssGrowth,
        [property: JsonPropertyName("rss_trend_mb_per_1000_slides")] double RssTrend,
        [property: JsonPropertyName("slides_per_min_early")] double EarlySpeed,
        [property: JsonPropertyName("slides_per_min_late")] double LateSpeed,
        [property: JsonPropertyName("speed_drop")] double SpeedDrop,
        [property: JsonPropertyName("within_bars")] bool WithinBars,
        [property: JsonPropertyName("samples")] IReadOnlyList<Sample> Samples
    );

    /// <summary>The soak run: the machine, the slides, their tiles, the bar and the two steps' curves.</summary>
    public sealed record Report(
        [property: JsonPropertyName("machine")] string Machine,
        [property: JsonPropertyName("slides")] int Slides,
        [property: JsonPropertyName("slide_size")] string SlideSize,
        [property: JsonPropertyName("tiles")] int Tiles,
        [property: JsonPropertyName("bar")] double Bar,
        [property: JsonPropertyName("steps")] IReadOnlyList<Step> Steps
    );

    /// <summary>Generates <paramref name="slides"/> slides of <paramref name="width"/> × <paramref name="height"/>
    /// under <paramref name="workFolder"/> (reused when there), encodes them into a fresh cache there, trains a slide
    /// model for one epoch, scores every slide with it, and reports both steps' curves.</summary>
    public static Report Run(int slides, int width, int height, string workFolder, Action<string> log)
    {
        if (slides < 20)
            throw new ArgumentException($"A soak run needs at least 20 slides to have a curve (got {slides}).");
        var data = Path.Combine(workFolder, $"slides-{slides}-{width}x{height}");
        if (!File.Exists(Path.Combine(data, SyntheticSlides.ListFile)))
        {
            log($"Generating {slides} slides of {width}×{height} into {data}…");
            SyntheticSlides.Generate(data, new SyntheticSlideOptions(slides, 5) { Width = width, Height = height });
        }
        // Every run encodes into caches of its own, so each slide is encoded in this run and nothing is deleted.
        var run = Path.Combine(workFolder, $"run-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        var cache = Path.Combine(run, "cache-features");
        var settings = new TrainSettings
        {
            Dataset = new DatasetSelection(DataDirectory: data, Layout: "wsi"),
            FeatureCacheFolder = cache,
            OutDirectory = run,
            Network = Trainers.Networks.NetworkArchitecture.FeatureAttentionMil,
            Epochs = 1,
        };
        var features = Features(settings, cache, log, out int tiles);
        log("Training a slide model for one epoch on the cached features…");
        TrainJob.Run(settings, _ => { });
        // Scoring on a cache of its own encodes every slide again, as predict does on a cohort not yet encoded.
        var scoring = Scoring(
            Path.Combine(settings.OutDirectory, RunFiles.ModelFile),
            data,
            Path.Combine(run, "cache-predict"),
            log
        );
        return new Report(
            $"{Environment.ProcessorCount} cores, {CpuKernels.Current.Cpu}",
            slides,
            $"{width}x{height}",
            tiles,
            Bar,
            [features, scoring]
        );
    }

    private static Step Features(TrainSettings settings, string cache, Action<string> log, out int tiles)
    {
        var samples = new List<Sample>();
        var clock = Stopwatch.StartNew();
        var summary = FeaturesJob.Run(
            settings,
            cache,
            (0, 1),
            log,
            CancellationToken.None,
            (done, total) =>
            {
                samples.Add(new Sample(done, clock.Elapsed.TotalSeconds, Rss()));
                if (done % Math.Max(1, total / 10) == 0)
                    log($"  features: {done}/{total} slides, RSS {samples[^1].RssMegabytes:F0} MB");
            }
        );
        tiles = summary.Patches;
        return Curve("features", samples);
    }

    private static Step Scoring(string modelPath, string data, string cache, Action<string> log)
    {
        var model = new ScoringOptions(FeatureCache: cache).Load(modelPath, ModelInput.Slides);
        var slides = SlideScoring.SlideFiles(Path.Combine(data, SyntheticSlides.SlidesFolder));
        var samples = new List<Sample>();
        double encoding = 0;
        Slides.SlideFeatures.OnSlide = e => encoding = e.Seconds;
        try
        {
            var clock = Stopwatch.StartNew();
            foreach (var scored in model.Score(slides))
            {
                if (!float.IsFinite(scored.Probabilities[scored.PredictedIndex]))
                    throw new InvalidOperationException($"{scored.Path}: a probability that is not finite.");
                samples.Add(
                    new Sample(samples.Count + 1, clock.Elapsed.TotalSeconds, Rss())
                    {
                        EncodeSeconds = Math.Round(encoding, 4),
                    }
                );
                if (samples.Count % Math.Max(1, slides.Count / 10) == 0)
                    log($"  scoring: {samples.Count}/{slides.Count} slides, RSS {samples[^1].RssMegabytes:F0} MB");
            }
        }
        finally
        {
            Slides.SlideFeatures.OnSlide = null;
        }
        return Curve("predict (scoring)", samples);
    }

    /// <summary>Warm-up is the first tenth of the slides (loading the network, filling the allocators); the curve is
    /// judged on the rest.</summary>
    internal static Step Curve(string name, IReadOnlyList<Sample> samples)
    {
        int tenth = Math.Max(1, samples.Count / 10);
        var warm = samples.Skip(tenth).DefaultIfEmpty(samples[^1]).ToList();
        double early = Median(warm.Take(tenth)),
            late = Median(samples.Skip(samples.Count - tenth)),
            peak = warm.Max(s => s.RssMegabytes);
        // A clock too coarse to separate the two samples gives no speed rather than an infinite one.
        double Speed(int from, int to) =>
            samples[to].Seconds > samples[from].Seconds
                ? (to - from) * 60 / (samples[to].Seconds - samples[from].Seconds)
                : 0;
        double earlySpeed = Speed(tenth - 1, Math.Min(2 * tenth - 1, samples.Count - 1));
        double lateSpeed = Speed(Math.Max(tenth - 1, samples.Count - 1 - tenth), samples.Count - 1);
        double growth = late / early - 1,
            drop = earlySpeed > 0 ? 1 - lateSpeed / earlySpeed : 0;
        return new Step(
            name,
            tenth,
            Math.Round(early, 1),
            Math.Round(late, 1),
            Math.Round(peak, 1),
            Math.Round(growth, 4),
            Math.Round(Trend(warm) * 1000, 1),
            Math.Round(earlySpeed, 1),
            Math.Round(lateSpeed, 1),
            Math.Round(drop, 4),
            growth < Bar && drop < Bar,
            samples
        );
    }

    private static double Median(IEnumerable<Sample> samples)
    {
        var sorted = samples.Select(s => s.RssMegabytes).Order().ToList();
        return sorted.Count % 2 == 1
            ? sorted[sorted.Count / 2]
            : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>MB per slide, least squares over the samples; 0 for fewer than two slides.</summary>
    private static double Trend(IReadOnlyList<Sample> samples)
    {
        double meanX = samples.Average(s => (double)s.Slides),
            meanY = samples.Average(s => s.RssMegabytes);
        double spread = samples.Sum(s => (s.Slides - meanX) * (s.Slides - meanX));
        return spread > 0 ? samples.Sum(s => (s.Slides - meanX) * (s.RssMegabytes - meanY)) / spread : 0;
    }

    private static double Rss()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64 / 1048576.0;
    }
}
