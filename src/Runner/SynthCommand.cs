using System.CommandLine;
using Amil.MLNet.Data.Synthetic;

namespace Amil.MLNet.Runner;

internal static class SynthCommand
{
    private const string WsiKind = "wsi";

    public static Command Create()
    {
        var output = CommonOptions.Out("Folder to write the images and masks/ into.");
        var kind = new Option<string>("--kind")
        {
            Description =
                "breakhis (binary, BreakHis layout, PNG), breakhis-hard (binary, small tumour foci, benign mimics, "
                + "per-patient stain and blur, ~31 % benign), bach (4 classes, BACH layout, TIFF) or wsi (whole "
                + "slides: pyramidal JPEG TIFF with an Aperio header, 8192×6144 at 0.5 µm/px, tumour foci on every "
                + "other slide, masks and slides.csv).",
            DefaultValueFactory = _ => "breakhis",
        };
        kind.AcceptOnlyFromAmong([.. SyntheticKinds.All, WsiKind]);
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
                    if (r.GetValue(kind) == WsiKind)
                    {
                        var slides = SyntheticSlides.Generate(
                            r.GetValue(output)!,
                            new SyntheticSlideOptions(r.GetValue(count), r.GetValue(seed)),
                            n => CommandRunner.Log($"slide {n} of {r.GetValue(count)} written")
                        );
                        Console.WriteLine(
                            $"Wrote {slides.Count} slides, their masks and {SyntheticSlides.ListFile} under "
                                + $"{Path.GetFullPath(r.GetValue(output)!)}."
                        );
                        return;
                    }
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
