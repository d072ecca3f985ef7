using System.Diagnostics;
using System.Text.Json.Serialization;
using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Maps.Heatmaps;
using Amil.MLNet.Trainers;
using Amil.MLNet.Trainers.Diagnostics;
using Amil.MLNet.Trainers.Kernels;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Microsoft.ML;

namespace Amil.MLNet.Application.Jobs;

/// <summary>The `bench` job: speed of every stage on generated data of the reference shape, as one JSON
/// report.</summary>
public static class BenchJob
{
    public sealed record Report(
        [property: JsonPropertyName("machine")] string Machine,
        [property: JsonPropertyName("device")] string Device,
        [property: JsonPropertyName("batch_bags")] int BatchBags,
        [property: JsonPropertyName("workers")] int Workers,
        [property: JsonPropertyName("images")] int Images,
        [property: JsonPropertyName("patches_per_bag")] int PatchesPerBag,
        [property: JsonPropertyName("raw_train_bags_per_s")] double RawTrainBagsPerSecond,
        [property: JsonPropertyName("raw_inference_bags_per_s")] double RawInferenceBagsPerSecond,
        [property: JsonPropertyName("end_to_end_train_bags_per_s")] double EndToEndTrainBagsPerSecond,
        [property: JsonPropertyName("end_to_end_vs_raw")] double EndToEndVsRaw,
        [property: JsonPropertyName("inference_images_per_s")] double InferenceImagesPerSecond,
        [property: JsonPropertyName("inference_vs_raw")] double InferenceVsRaw,
        [property: JsonPropertyName("scoring_images_per_s")] double ScoringImagesPerSecond,
        [property: JsonPropertyName("decoding_images_per_s")] double DecodingImagesPerSecond,
        [property: JsonPropertyName("slide_tiles")] int SlideTiles,
        [property: JsonPropertyName("slide_encoding_tiles_per_s")] double SlideEncodingTilesPerSecond,
        [property: JsonPropertyName("slide_encoder_alone_tiles_per_s")] double SlideEncoderTilesPerSecond,
        [property: JsonPropertyName("slide_encoding_vs_encoder")] double SlideEncodingVsEncoder,
        [property: JsonPropertyName("resnet18_patches_per_s")] double ResNet18PatchesPerSecond,
        [property: JsonPropertyName("resnet18_per_patch_path_patches_per_s")] double ResNet18PerPatchPerSecond,
        [property: JsonPropertyName("peak_rss_mb")] double PeakRssMegabytes
    )
    {
        /// <summary>The CPU kernels the timings were taken with, and the self-check's result.</summary>
        [JsonPropertyName("cpu_kernels")]
        public CpuKernelCheck CpuKernels { get; init; } = Trainers.Kernels.CpuKernels.Current;
    }

    public static Report Run(
        int images,
        int epochs,
        string workFolder,
        Action<string> log,
        string device = "cpu",
        int batchBags = 1,
        int? workers = null
    )
    {
        int decoders = workers ?? AttentionMilOptions.DefaultReadWorkers;
        var on = ComputeDevice.Parse(device);
        on.Resolve();
        if (images < 4)
            throw new ArgumentException($"--images must be at least 4 (got {images}).");
        if (epochs < 2)
            throw new ArgumentException($"--epochs must be at least 2 (the first epoch is warm-up; got {epochs}).");
        var files = Generate(images, workFolder, log);

        log($"Device: {on.Describe()} (libtorch {TorchSharp.torch.__version__}).");
        var raw = NetworkBenchmark.Run(device: on, batchBags: batchBags);
        log(
            $"raw TorchSharp loop, {batchBags} bag{(batchBags == 1 ? "" : "s")} per step: "
                + $"{raw.TrainBagsPerSecond:F1} train / {raw.InferenceBagsPerSecond:F1} inference bags/s"
        );
        var (model, endToEnd) = TrainEndToEnd(files, epochs, on, batchBags, decoders);
        log(
            $"end-to-end training (decode on {decoders} workers + bagging + IDataView + TorchSharp): "
                + $"{endToEnd:F1} bags/s = "
                + $"{endToEnd / raw.TrainBagsPerSecond:P0} of the raw loop"
        );
        var scoring = TimeScoring(model, files);
        log(
            $"inference incl. decode and heatmap: {scoring.Inference:F1} images/s = "
                + $"{scoring.Inference / raw.InferenceBagsPerSecond:P0} of the raw inference loop"
        );
        log(
            $"  of which: scoring alone {scoring.Scoring:F1} images/s, PNG decoding alone "
                + $"{scoring.Decoding:F1} images/s"
        );
        var (batched, single) = ResNet18Speed(files.Take(Math.Min(files.Count, 20)).ToList());
        log($"ResNet18: {batched:F1} patches/s batched, {single:F1} patches/s patch by patch");
        var slide = SlideEncodingBench.Run(workFolder);
        log(
            string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"slide encoding (tile read, JPEG decode, tissue, ResNet18) on {slide.Tiles} tiles: "
                    + $"{slide.TilesPerSecond:F1} tiles/s = {slide.TilesPerSecond / slide.EncoderTilesPerSecond:P0} "
                    + $"of the encoder alone ({slide.EncoderTilesPerSecond:F1} tiles/s)"
            )
        );

        double rss = PeakRssMegabytes();
        return new Report(
            $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
            on.Describe(),
            batchBags,
            decoders,
            images,
            400,
            Math.Round(raw.TrainBagsPerSecond, 2),
            Math.Round(raw.InferenceBagsPerSecond, 2),
            Math.Round(endToEnd, 2),
            Ratio(endToEnd, raw.TrainBagsPerSecond),
            Math.Round(scoring.Inference, 2),
            Ratio(scoring.Inference, raw.InferenceBagsPerSecond),
            Math.Round(scoring.Scoring, 2),
            Math.Round(scoring.Decoding, 2),
            slide.Tiles,
            Math.Round(slide.TilesPerSecond, 2),
            Math.Round(slide.EncoderTilesPerSecond, 2),
            Ratio(slide.TilesPerSecond, slide.EncoderTilesPerSecond),
            Math.Round(batched, 1),
            Math.Round(single, 1),
            Math.Round(rss, 0)
        );
    }

    /// <summary>Generated BreakHis-shaped images (700×460, 400 patches of 28 px each), written afresh.</summary>
    private static List<string> Generate(int images, string workFolder, Action<string> log)
    {
        var data = Path.Combine(workFolder, "data");
        if (Directory.Exists(data))
            Directory.Delete(data, recursive: true);
        var files = SyntheticHistology
            .Generate(data, new SyntheticOptions(SyntheticKind.BreakHis, images, 7))
            .Select(f => Path.Combine(data, f))
            .ToList();
        log($"Generated {images} 700×460 images (400 patches of 3×28×28 per bag).");
        return files;
    }

    /// <summary>The whole chain trained (decode, bagging, IDataView, network) and its speed after the first epoch,
    /// which warms up allocators and kernels as the raw loop's warm-up pass does.</summary>
    private static (AmilModel Model, double BagsPerSecond) TrainEndToEnd(
        List<string> files,
        int epochs,
        ComputeDevice on,
        int batchBags,
        int decoders
    )
    {
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.LoadFromEnumerable(
            files
                .Select(
                    (f, i) => new ImageRow { ImagePath = f, Label = f.Contains("malignant") ? "malignant" : "benign" }
                )
                .ToList()
        );
        var labelled = ml.Transforms.Conversion.MapValueToKey("Label").Fit(rows).Transform(rows);
        var bagger = ml.Transforms.BagPatches(new PatchBaggingOptions()).Fit(labelled);
        var trainer = ml.MulticlassClassification.Trainers.AttentionMil(
            new AttentionMilOptions
            {
                MaxEpochs = epochs,
                Device = on,
                BatchBags = batchBags,
                ReadWorkers = decoders,
                ValidationFraction = 0,
                EarlyStoppingPatience = 0,
            }
        );
        var attention = trainer.Fit(bagger.Transform(labelled));
        double endToEnd = files.Count * (epochs - 1) / attention.History.Skip(1).Sum(h => h.Seconds);
        return (new AmilModel(ml, bagger.Append(attention)).OnDevice(on), endToEnd);
    }

    /// <summary>Images per second: scored with a heatmap drawn, scored alone, and decoded alone (where the difference
    /// to the raw loop goes).</summary>
    private static (double Inference, double Scoring, double Decoding) TimeScoring(AmilModel model, List<string> files)
    {
        model.Score(files.Take(2)).ToList(); // warm-up
        var clock = Stopwatch.StartNew();
        foreach (var scored in model.Score(files))
        {
            var overlay = HeatmapRenderer.Overlay(
                scored.Prepare(RgbImageReader.Read(scored.Path)),
                scored.PatchMap().Normalized(MapNormalization.MinMax),
                Colormap.Jet
            );
            GC.KeepAlive(overlay);
        }
        double inference = files.Count / clock.Elapsed.TotalSeconds;
        clock.Restart();
        int scoredCount = model.Score(files).Count();
        double scoring = scoredCount / clock.Elapsed.TotalSeconds;
        clock.Restart();
        foreach (var file in files)
            GC.KeepAlive(RgbImageReader.Read(file));
        double decoding = files.Count / clock.Elapsed.TotalSeconds;
        return (inference, scoring, decoding);
    }

    /// <summary>A ratio of two rates as the report prints them (2 decimals), so it agrees with the rates beside
    /// it.</summary>
    private static double Ratio(double rate, double reference) =>
        Math.Round(reference, 2) is > 0 and var printed
            ? Math.Round(Math.Round(rate, 2) / printed, 3)
            : Math.Round(rate / reference, 3);

    /// <summary>Patches/s of the extractor alone on 224 px patches (6 per image), batched (16) and one call per
    /// patch.</summary>
    private static (double Batched, double Single) ResNet18Speed(IReadOnlyList<string> files)
    {
        var options = new PatchBaggingOptions
        {
            CropHeight = 448,
            CropWidth = 672,
            PatchSize = 224,
            Stride = 224,
        };
        var bags = files.Select(f => PatchCutter.Cut(RgbImageReader.Read(f), options)).ToList();
        var extractor = PatchFeatureExtractor.Get();
        // Features of a cohort are extracted in batches that span images; concatenate the bags the same way.
        var all = bags.SelectMany(b => b.Pixels).ToArray();
        var layout = new BagLayout(
            3,
            224,
            224,
            1,
            bags.Sum(b => b.Layout.Count),
            0,
            0,
            224 * bags.Sum(b => b.Layout.Count),
            224
        );
        // warm-up
        extractor.Extract(all.AsSpan(0, 16 * layout.PatchLength), layout with { Columns = 16, RegionWidth = 16 * 224 });
        double Measure(int batch)
        {
            var clock = Stopwatch.StartNew();
            extractor.Extract(all, layout, batchSize: batch);
            return layout.Count / clock.Elapsed.TotalSeconds;
        }
        return (Measure(16), Measure(1));
    }

    /// <summary>Peak resident set size of this process (VmHWM), in MB; 0 where /proc is not available.</summary>
    public static double PeakRssMegabytes()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
            return 0;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null
            ? 0
            : double.Parse(
                line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
                System.Globalization.CultureInfo.InvariantCulture
            ) / 1024;
    }
}
