using System.CommandLine;
using Amil.MLNet.Data.Synthetic;

namespace Amil.MLNet.Runner;

internal static class SynthCommand
{
    public static Command Create()
    {
        var output = CommonOptions.Out("Folder to write the images and masks/ into.");
        var kind = new Option<string>("--kind")
        {
            Description =
                "breakhis (binary, BreakHis layout, PNG), breakhis-hard (binary, small tumour foci, benign mimics, "
                + "per-patient stain and blur, ~31 % benign) or bach (4 classes, BACH layout, TIFF).",
            DefaultValueFactory = _ => "breakhis",
        };
        kind.AcceptOnlyFromAmong([.. SyntheticKinds.All]);
        var count = new Option<int>("--count") { Description = "Number of images.", DefaultValueFactory = _ => 40 };
        var seed = new Option<int>("--seed")
        {
            Description = "Seed; the same seed writes the same images.",
            DefaultValueFactory = _ => 1,
        };
        var command = new Command(
            "synth",
            "Write synthetic H&E-like images with tumour masks (ground truth for localization).\nExample: amil "
                + "synth --out /tmp/s --kind breakhis --count 40 --seed 1"
        )
        {
            output,
            kind,
            count,
            seed,
        };
        command.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                {
                    SyntheticKinds.TryParse(r.GetValue(kind), out var parsed);
                    var options = new SyntheticOptions(parsed, r.GetValue(count), r.GetValue(seed));
                    var written = SyntheticHistology.Generate(r.GetValue(output)!, options);
                    Console.WriteLine(
                        $"Wrote {written.Count} images and {written.Count} masks under "
                            + $"{Path.GetFullPath(r.GetValue(output)!)}."
                    );
                }
            )
        );
        return command;
    }
}
