using System.CommandLine;
using System.Globalization;
using Amil.MLNet.Transforms.Encoders;
using Amil.MLNet.Transforms.Encoders.Quantization;

namespace Amil.MLNet.Runner;

/// <summary>`amil encoders quantize`: an int8 copy of an ONNX encoder, and how closely it agrees with the
/// original.</summary>
internal sealed class EncoderQuantizeCommand
{
    private readonly Option<string> _output = CommonOptions.Out(
        "Folder for NAME-int8.onnx and its manifest NAME-int8.json."
    );

    private readonly Option<string?> _calibration = new("--calibration")
    {
        Description =
            "Folder of tiles like those the encoder will see (PNG, JPEG, TIFF or BMP; each image's centre "
            + "square is one patch). With it, convolutions are quantized too, at activation ranges measured on three "
            + "in four of the tiles; the others measure the agreement. Without it, convolutions stay float.",
        HelpName = "DIR",
    };

    public static Command Create(Argument<string> encoder) => new EncoderQuantizeCommand().Build(encoder);

    private Command Build(Argument<string> encoder)
    {
        var quantize = new Command(
            "quantize",
            "Write an int8 copy of an ONNX encoder with its own manifest: dynamic quantization of its matrix products "
                + "(as ONNX Runtime's quantizer does) and, with --calibration, static quantization of its "
                + "convolutions; print how closely its features follow the original's (cosine). The copy is another "
                + "encoder: train and score with its manifest; time it with `encoders check` or `bench --encoders`.\n"
                + "Examples: amil encoders quantize ~/weights/uni.json --out ~/weights\n"
                + "          amil encoders quantize resnet18 --calibration ~/tiles --out ~/weights"
        )
        {
            encoder,
            _output,
            _calibration,
        };
        quantize.SetAction(r => CommandRunner.Run(r, () => Print(r, Quantize(r, r.GetValue(encoder)!))));
        return quantize;
    }

    private EncoderQuantizationReport Quantize(ParseResult r, string encoder)
    {
        if (PatchEncoders.IsBuiltIn(encoder) && r.GetValue(_calibration) is null)
            throw new ArgumentException(
                $"{encoder} is convolutions only, which are quantized only at ranges measured on tiles: give "
                    + "--calibration DIR, a folder of tiles like those it will encode."
            );
        CommandRunner.Log($"Quantizing {encoder} …");
        return EncoderQuantization.Quantize(encoder, r.GetValue(_output)!, r.GetValue(_calibration));
    }

    private void Print(ParseResult r, EncoderQuantizationReport report)
    {
        var s = report.Summary;
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"Wrote {report.Manifest}");
        Console.WriteLine(
            string.Format(
                inv,
                "  {0} matrix products and {1} convolutions int8, {2} other nodes as they were; {3:F1} MB → {4:F1} MB",
                s.Products,
                s.Convolutions,
                s.Kept,
                s.BytesBefore / 1e6,
                s.BytesAfter / 1e6
            )
        );
        Console.WriteLine(
            string.Format(
                inv,
                "  agreement with the original on {0} {1}: cosine min {2:F4}, mean {3:F4}",
                report.Patches,
                r.GetValue(_calibration) is null ? "fixed patches" : "held-out calibration tiles",
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
