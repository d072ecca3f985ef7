using System.CommandLine;
using System.Globalization;
using Amil.MLNet.Transforms.Encoders;

namespace Amil.MLNet.Runner;

internal static class EncodersCommand
{
    public static Command Create()
    {
        var encoder = new Argument<string>("encoder")
        {
            Description =
                "resnet18, an encoder manifest (.json), an .onnx file with its manifest beside it, or a name "
                + "registered in $AMIL_ENCODERS.",
        };
        var batchSize = new Option<int>("--batch-size")
        {
            Description = "Patches per ONNX Runtime call while timing.",
            DefaultValueFactory = _ => 16,
        };
        var seconds = CommonOptions.Seconds("How long to time batches for.", 3);
        var device = CommonOptions.Device(
            "where the encoder runs (cuda: ONNX Runtime's CUDA execution provider, which needs its GPU build)"
        );
        var check = new Command(
            "check",
            "Open an encoder as its manifest describes it (the file's SHA-256, the input size and layout, the output "
                + "and its pooling), encode a fixed patch, and print the feature size, tiles/s and peak memory on "
                + "this machine. A mismatch exits 1 naming what differs and the fix.\n"
                + "Example: amil encoders check ~/weights/uni.json"
        )
        {
            encoder,
            batchSize,
            seconds,
            device,
        };
        check.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                {
                    int batch = CommonOptions.Positive(r, batchSize);
                    var name = r.GetValue(encoder)!;
                    int? gpu = Trainers.ComputeDevice.Parse(r.GetValue(device)!).CudaIndex();
                    using var on = EncoderExecution.OnCuda(gpu);
                    Print(EncoderCheck.Run(name, batch, CommonOptions.Seconds(r, seconds)), name, gpu);
                }
            )
        );
        return new Command(
            "encoders",
            "Frozen patch encoders: check an ONNX encoder and its manifest; tune its batch size and threads; "
                + "quantize it to int8."
        )
        {
            check,
            EncoderTuneCommand.Create(encoder),
            EncoderQuantizeCommand.Create(encoder),
        };
    }

    private static void Print(EncoderCheckReport report, string encoder, int? gpu)
    {
        var m = report.Manifest;
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"Encoder '{m.Name}': OK");
        Console.WriteLine($"  file      {m.File}");
        Console.WriteLine($"  sha256    {m.Sha256.ToLowerInvariant()} (matches)");
        Console.WriteLine(
            $"  input     {report.Input}, {m.Layout}, {m.InputSize} px"
                + (m.ResizeTo is { } r && r != m.InputSize ? $" (resize {r}, centre crop)" : "")
        );
        Console.WriteLine($"  output    {report.Output}, pooling {m.Pooling} → {m.FeatureSize} features per patch");
        Console.WriteLine(
            "  scale     "
                + (
                    m.MicronsPerPixel is { } mpp
                        ? string.Format(inv, "{0} µm/px (slides are tiled at it unless --tile-mpp)", mpp)
                        : "not given (slides are tiled at 20× unless --tile-mpp)"
                )
        );
        Console.WriteLine(
            string.Format(
                inv,
                "  speed     {0:F1} tiles/s (batches of {1}, {2})",
                report.TilesPerSecond,
                report.BatchSize,
                gpu is { } g
                    ? $"CUDA GPU {g}"
                    : $"{EncoderTuning.Find(encoder)?.Threads ?? Environment.ProcessorCount} thread(s)"
            )
        );
        Console.WriteLine(string.Format(inv, "  memory    {0:F0} MB peak", report.PeakMemoryMegabytes));
        Console.WriteLine(
            "  features  "
                + string.Join(' ', report.Fingerprint.Select(v => v.ToString("F4", inv)))
                + " … (fixed patch)"
        );
        if (m.Licence is { Length: > 0 } licence)
            Console.WriteLine($"  licence   {licence}");
    }
}
