using System.CommandLine;
using System.Globalization;
using Amil.MLNet.Transforms.Encoders;

namespace Amil.MLNet.Runner;

/// <summary>`amil encoders tune`: batch size and threads for an encoder, chosen by measurement on this
/// machine.</summary>
internal sealed class EncoderTuneCommand
{
    private readonly Option<string> _batchSizes = new("--batch-sizes")
    {
        Description = "Patches per ONNX Runtime call to try, comma-separated.",
        DefaultValueFactory = _ => "1,4,8,16,32",
    };
    private readonly Option<string?> _threads = new("--threads")
    {
        Description =
            "ONNX Runtime threads to try, comma-separated (default: 1, 2, 4, … up to every core, and every core).",
    };
    private readonly Option<double> _seconds = CommonOptions.Seconds("How long to time each pair for.", 2);
    private readonly Option<string?> _file = new("--tuning-file")
    {
        Description =
            $"Where the choice is kept (default ${EncoderTuning.EnvironmentVariable}, else "
            + ".cache/encoder-tuning.json under the working folder, which `features` and slide training read).",
    };

    public static Command Create(Argument<string> encoder) => new EncoderTuneCommand().Build(encoder);

    private Command Build(Argument<string> encoder)
    {
        var tune = new Command(
            "tune",
            "Time an encoder at each batch size and thread count on this machine and keep the fastest pair in the "
                + "tuning file: slide encoding (`features`, `train` on slides, scoring) then uses it on this kind of "
                + "machine (same CPU and cores).\n"
                + "Example: amil encoders tune resnet18"
        )
        {
            encoder,
            _batchSizes,
            _threads,
            _seconds,
            _file,
        };
        tune.SetAction(r => CommandRunner.Run(r, () => Tune(r, r.GetValue(encoder)!)));
        return tune;
    }

    private void Tune(ParseResult r, string encoder)
    {
        var batches = CommonOptions.WholeNumbers(r.GetValue(_batchSizes)!, _batchSizes.Name, 1024, "1,4,8");
        var pool = r.GetValue(_threads) is { } given
            ? CommonOptions.WholeNumbers(given, _threads.Name, 1024, "1,2,4")
            : DefaultThreads();
        var inv = CultureInfo.InvariantCulture;
        var path = r.GetValue(_file) is { } f ? Path.GetFullPath(f) : EncoderTuning.DefaultFile;
        EncoderTuning.Find(encoder, path); // a damaged tuning file stops us before the sweep
        var choice = EncoderTuning.Tune(
            encoder,
            batches,
            pool,
            CommonOptions.Seconds(r, _seconds),
            t =>
                Console.WriteLine(
                    string.Format(
                        inv,
                        "  batch {0,3}, {1,2} thread(s): {2,8:F1} tiles/s",
                        t.BatchSize,
                        t.Threads,
                        t.TilesPerSecond
                    )
                )
        );
        EncoderTuning.Save(choice, path);
        Console.WriteLine(
            string.Format(
                inv,
                "Chosen for {0} on {1} ({2} cores): batch {3}, {4} thread(s), {5:F1} tiles/s; kept in {6}",
                choice.Encoder,
                choice.Cpu,
                choice.Cores,
                choice.BatchSize,
                choice.Threads,
                choice.TilesPerSecond,
                path
            )
        );
    }

    private static int[] DefaultThreads()
    {
        var pool = new List<int>();
        for (int t = 1; t < Environment.ProcessorCount; t *= 2)
            pool.Add(t);
        pool.Add(Environment.ProcessorCount);
        return [.. pool];
    }
}
