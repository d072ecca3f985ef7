using System.CommandLine;
using System.Text.Json;
using Amil.MLNet.Application;
using Amil.MLNet.Application.Jobs;

namespace Amil.MLNet.Runner;

/// <summary><c>amil bench</c>: the reference timing of every stage, or one of the focused benchmarks its options
/// pick instead.</summary>
internal sealed class BenchCommand
{
    private readonly Option<int> _images = new("--images")
    {
        Description = "Generated images (700×460, 400 patches each) to time on.",
        DefaultValueFactory = _ => 60,
    };
    private readonly Option<int> _epochs = new("--epochs")
    {
        Description = "End-to-end training epochs (the first is warm-up).",
        DefaultValueFactory = _ => 3,
    };
    private readonly Option<string> _output = new("--out")
    {
        Description = "Where to write the JSON report.",
        DefaultValueFactory = _ => Path.Combine("runs", "bench.json"),
    };
    private readonly Option<string> _work = new("--work")
    {
        Description = "Scratch folder for the generated images.",
        DefaultValueFactory = _ => Path.Combine(".cache", "bench"),
    };
    private readonly Option<string> _device = CommonOptions.Device("where the raw loop, training and scoring run");
    private readonly Option<int> _batchBags = CommonOptions.BatchBags();
    private readonly Option<int?> _workers = CommonOptions.Workers();
    private readonly Option<string?> _viewerSlide = new("--viewer-slide")
    {
        Description =
            "Instead: time `amil view` on this slide over HTTP (cold and cached tiles, base and overlay; 50 tiles "
            + "at once and the peak resident memory); writes the JSON to --out.",
    };
    private readonly Option<string?> _slideHeads = new("--slide-heads")
    {
        Description =
            "Instead: time each MIL head (attention, clam, dsmil, transmil) on bags of these many 512-feature "
            + "tiles, e.g. 1000,10000,50000: one training step, one scoring pass, the peak memory; JSON to --out.",
    };
    private readonly Option<string?> _encoders = new("--encoders")
    {
        Description =
            "Instead: time the built-in resnet18 and every encoder manifest in this folder (write one with "
            + "build/bench_encoders.py) on 1 thread and on every core: tiles/s and peak memory; JSON to --out.",
    };
    private readonly Option<int?> _soakSlides = new("--soak-slides")
    {
        Description =
            "Instead: a soak run over this many generated slides (at least 20) through features and scoring, "
            + "sampling resident memory and slides/min after each slide; JSON with both curves to --out.",
    };
    private readonly Option<string> _soakSize = new("--soak-slide-size")
    {
        Description = "--soak-slides: each slide's size in pixels, WIDTHxHEIGHT.",
        DefaultValueFactory = _ => "1024x768",
    };
    private readonly Option<int?> _quality = new("--quality")
    {
        Description =
            "Instead: quality control against the artefacts drawn on this many generated synthetic-wsi-hard "
            + "slides (--soak-slide-size each): every tile flagged for blur, pen, fold and glass, and each "
            + "flag's precision and recall; JSON to --out.",
    };
    private readonly Option<double> _seconds = CommonOptions.Seconds(
        "--encoders: seconds to time each encoder and thread count for.",
        10
    );

    public static Command Create() => new BenchCommand().Build();

    private Command Build()
    {
        var command = new Command(
            "bench",
            "Time every stage on generated data of the reference shape: raw TorchSharp loop vs end-to-end training, "
                + "inference with decode and heatmap, "
                + "ResNet18 patches/s, peak RSS. Prints and writes JSON (not part of dotnet test).\nExample: amil "
                + "bench --images 60 --out runs/bench.json"
        )
        {
            _images,
            _epochs,
            _output,
            _work,
            _device,
            _batchBags,
            _workers,
            _viewerSlide,
            _slideHeads,
            _encoders,
            _soakSlides,
            _soakSize,
            _quality,
            _seconds,
        };
        command.SetAction(r => CommandRunner.Run(r, () => Write(r.GetValue(_output)!, Run(r))));
        return command;
    }

    /// <summary>The benchmark the options ask for: the first focused one named, else the reference run.</summary>
    private object Run(ParseResult r)
    {
        if (r.GetValue(_quality) is { } slides)
            return Quality(r, slides);
        if (r.GetValue(_soakSlides) is { } count)
        {
            if (count < 20)
                throw new ArgumentException($"--soak-slides {count}: a curve needs at least 20 slides.");
            var (width, height) = SlideSize(r.GetValue(_soakSize)!);
            return SoakJob.Run(count, width, height, r.GetValue(_work)!, CommandRunner.Log);
        }
        if (r.GetValue(_viewerSlide) is { } slide)
            return Viewer.ViewerBench.RunAsync(slide, 200, CommandRunner.Log).GetAwaiter().GetResult();
        if (r.GetValue(_encoders) is { } folder)
            return EncoderBench.Run(folder, CommonOptions.Seconds(r, _seconds), CommandRunner.Log);
        if (r.GetValue(_slideHeads) is { } sizes)
            return HeadBench.Run(
                CommonOptions.WholeNumbers(sizes, _slideHeads.Name, 1_000_000, "1000,10000,50000"),
                CommandRunner.Log
            );
        return BenchJob.Run(
            r.GetValue(_images),
            r.GetValue(_epochs),
            r.GetValue(_work)!,
            CommandRunner.Log,
            r.GetValue(_device)!,
            CommonOptions.Positive(r, _batchBags),
            CommonOptions.PositiveOrNull(r, _workers)
        );
    }

    private QualityBench.Report Quality(ParseResult r, int slides)
    {
        if (slides < 1)
            throw new ArgumentException($"--quality {slides}: give at least 1 slide.");
        var (w, h) = SlideSize(r.GetValue(_soakSize)!);
        var qc = QualityBench.Run(slides, w, h, r.GetValue(_work)!, CommandRunner.Log);
        foreach (var f in qc.Flags)
            Console.WriteLine(
                FormattableString.Invariant(
                    $"{f.Flag}: {f.Affected} tiles affected, {f.Flagged} flagged, {f.Both} both; "
                ) + $"precision {Share(f.Precision)}, recall {Share(f.Recall)}"
            );
        return qc;
    }

    private static void Write(string path, object report)
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
