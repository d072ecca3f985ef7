using System.CommandLine;
using System.Globalization;
using Amil.MLNet.Transforms.Encoders.Quantization;

namespace Amil.MLNet.Runner;

/// <summary>`amil encoders quantize`: an int8 copy of an ONNX encoder, and how closely it agrees with the
/// original.</summary>
internal sealed class EncoderQuantizeCommand
{
    private readonly Option<string> _output = CommonOptions.Out(
        "Folder for NAME-int8.onnx and its manifest NAME-int8.json."
    );

    public static Command Create(Argument<string> encoder) => new EncoderQuantizeCommand().Build(encoder);

    private Command Build(Argument<string> encoder)
    {
        var quantize = new Command(
            "quantize",
            "Write an int8 copy of an ONNX encoder (dynamic quantization of its matrix products, as ONNX Runtime's "
                + "quantizer does; convolutions stay float) with its own manifest, and print how closely its features "
                + "follow the original's on fixed patches (cosine). The copy is another encoder: train and score "
                + "with its manifest; time it with `encoders check` or `bench --encoders`.\n"
                + "Example: amil encoders quantize ~/weights/uni.json --out ~/weights"
        )
        {
            encoder,
            _output,
        };
        quantize.SetAction(r => CommandRunner.Run(r, () => Print(Quantize(r, r.GetValue(encoder)!))));
        return quantize;
    }

    private EncoderQuantizationReport Quantize(ParseResult r, string encoder)
    {
        CommandRunner.Log($"Quantizing {encoder} …");
        return EncoderQuantization.Quantize(encoder, r.GetValue(_output)!);
    }

    private static void Print(EncoderQuantizationReport report)
    {
        var s = report.Summary;
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"Wrote {report.Manifest}");
        Console.WriteLine(
            string.Format(
                inv,
                "  {0} matrix products int8, {1} other nodes as they were; {2:F1} MB → {3:F1} MB",
                s.Quantized,
                s.Kept,
                s.BytesBefore / 1e6,
                s.BytesAfter / 1e6
            )
        );
        Console.WriteLine(
            string.Format(
                inv,
                "  agreement with the original on {0} fixed patches: cosine min {1:F4}, mean {2:F4}",
                report.Patches,
                report.MinimumCosine,
                report.MeanCosine
            )
        );
        if (report.MinimumCosine < 0.99)
            Console.Error.WriteLine(
                "warning: a patch's int8 features are further than cosine 0.99 from the original's; measure the "
                    + "heads trained on each before relying on the int8 encoder."
            );
    }
}
