using System.CommandLine;
using System.Text.Json;
using Amil.MLNet.Application;
using Amil.MLNet.Application.Jobs;

namespace Amil.MLNet.Runner;

internal static class BenchCommand
{
    public static Command Create()
    {
        var images = new Option<int>("--images")
        {
            Description = "Generated images (700×460, 400 patches each) to time on.",
            DefaultValueFactory = _ => 60,
        };
        var epochs = new Option<int>("--epochs")
        {
            Description = "End-to-end training epochs (the first is warm-up).",
            DefaultValueFactory = _ => 3,
        };
        var output = new Option<string>("--out")
        {
            Description = "Where to write the JSON report.",
            DefaultValueFactory = _ => Path.Combine("runs", "bench.json"),
        };
        var work = new Option<string>("--work")
        {
            Description = "Scratch folder for the generated images.",
            DefaultValueFactory = _ => Path.Combine(".cache", "bench"),
        };
        var device = CommonOptions.Device("where the raw loop, training and scoring run");
        var batchBags = CommonOptions.BatchBags();
        var workers = CommonOptions.Workers();
        var viewerSlide = new Option<string?>("--viewer-slide")
        {
            Description =
                "Instead: time `amil view` on this slide over HTTP (cold and cached tiles, base and overlay; 50 tiles "
                + "at once and the peak resident memory); writes the JSON to --out.",
        };
        var slideHeads = new Option<string?>("--slide-heads")
        {
            Description =
                "Instead: time each MIL head (attention, clam, dsmil, transmil) on bags of these many 512-feature "
                + "tiles, e.g. 1000,10000,50000: one training step, one scoring pass, the peak memory; JSON to --out.",
        };
        var encoders = new Option<string?>("--encoders")
        {
            Description =
                "Instead: time the built-in resnet18 and every encoder manifest in this folder (write one with "
                + "build/bench_encoders.py) on 1 thread and on every core: tiles/s and peak memory; JSON to --out.",
        };
        var soakSlides = new Option<int?>("--soak-slides")
        {
            Description =
                "Instead: a soak run over this many generated slides (at least 20) through features and scoring, "
                + "sampling resident memory and slides/min after each slide; JSON with both curves to --out.",
        };
        var soakSize = new Option<string>("--soak-slide-size")
        {
            Description = "--soak-slides: each slide's size in pixels, WIDTHxHEIGHT.",
            DefaultValueFactory = _ => "1024x768",
        };
        var quality = new Option<int?>("--quality")
        {
            Description =
                "Instead: quality control against the artefacts drawn on this many generated synthetic-wsi-hard "
                + "slides (--soak-slide-size each): every tile flagged for blur, pen, fold and glass, and each "
                + "flag's precision and recall; JSON to --out.",
        };
        var seconds = CommonOptions.Seconds("--encoders: seconds to time each encoder and thread count for.", 10);
        var command = new Command(
            "bench",
            "Time every stage on generated data of the reference shape: raw TorchSharp loop vs end-to-end training, "
                + "inference with decode and heatmap, "
                + "ResNet18 patches/s, peak RSS. Prints and writes JSON (not part of dotnet test).\nExample: amil "
                + "bench --images 60 --out runs/bench.json"
        )
        {
            images,
            epochs,
            output,
            work,
            device,
            batchBags,
            workers,
            viewerSlide,
            slideHeads,
            encoders,
            soakSlides,
            soakSize,
            quality,
            seconds,
        };
        command.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                {
                    if (r.GetValue(quality) is { } slides)
                    {
                        if (slides < 1)
                            throw new ArgumentException($"--quality {slides}: give at least 1 slide.");
                        var (w, h) = SlideSize(r.GetValue(soakSize)!);
                        var qc = QualityBench.Run(slides, w, h, r.GetValue(work)!, CommandRunner.Log);
                        foreach (var f in qc.Flags)
                            Console.WriteLine(
                                FormattableString.Invariant(
                                    $"{f.Flag}: {f.Affected} tiles affected, {f.Flagged} flagged, {f.Both} both; "
                                ) + $"precision {Share(f.Precision)}, recall {Share(f.Recall)}"
                            );
                        Write(r.GetValue(output)!, qc);
                        return;
                    }
                    if (r.GetValue(soakSlides) is { } count)
                    {
                        if (count < 20)
                            throw new ArgumentException($"--soak-slides {count}: a curve needs at least 20 slides.");
                        var (width, height) = SlideSize(r.GetValue(soakSize)!);
                        var soak = SoakJob.Run(count, width, height, r.GetValue(work)!, CommandRunner.Log);
                        Write(r.GetValue(output)!, soak);
                        return;
                    }
                    if (r.GetValue(viewerSlide) is { } slide)
                    {
                        var viewer = Viewer
                            .ViewerBench.RunAsync(slide, 200, CommandRunner.Log)
                            .GetAwaiter()
                            .GetResult();
                        Write(r.GetValue(output)!, viewer);
                        return;
                    }
                    if (r.GetValue(encoders) is { } folder)
                    {
                        var rows = EncoderBench.Run(folder, CommonOptions.Seconds(r, seconds), CommandRunner.Log);
                        Write(r.GetValue(output)!, rows);
                        return;
                    }
                    if (r.GetValue(slideHeads) is { } sizes)
                    {
                        var bags = CommonOptions.WholeNumbers(sizes, slideHeads.Name, 1_000_000, "1000,10000,50000");
                        var rows = HeadBench.Run(bags, CommandRunner.Log);
                        Write(r.GetValue(output)!, rows);
                        return;
                    }
                    var report = BenchJob.Run(
                        r.GetValue(images),
                        r.GetValue(epochs),
                        r.GetValue(work)!,
                        CommandRunner.Log,
                        r.GetValue(device)!,
                        CommonOptions.Positive(r, batchBags),
                        CommonOptions.PositiveOrNull(r, workers)
                    );
                    Write(r.GetValue(output)!, report);
                }
            )
        );
        return command;
    }

    private static void Write<T>(string path, T report)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        RunFiles.WriteJson(path, report);
        Console.WriteLine(JsonSerializer.Serialize(report, RunFiles.Json));
    }

    private static (int Width, int Height) SlideSize(string text)
    {
        var parts = text.Split('x', 'X');
        if (
            parts.Length == 2
            && int.TryParse(parts[0], out int width)
            && int.TryParse(parts[1], out int height)
            && width is >= 512 and <= 65536
            && height is >= 512 and <= 65536
        )
            return (width, height);
        throw new ArgumentException(
            $"--soak-slide-size '{text}': give WIDTHxHEIGHT in pixels, each from 512 to 65536 (e.g. 1024x768)."
        );
    }

    private static string Share(double? value) =>
        value is { } v ? v.ToString("F3", System.Globalization.CultureInfo.InvariantCulture) : "n/a";
}
