using System.CommandLine;
using Amil.MLNet.Data.Datasets;
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
                + "per-patient stain and blur, ~31 % benign), bach (4 classes, BACH layout, TIFF) or wsi (whole "
                + "slides: pyramidal JPEG TIFF with an Aperio header, 8192×6144 at 0.5 µm/px, tumour foci on every "
                + "other slide, masks and slides.csv) or wsi-hard (the same slides made hard: CAMELYON's lesion "
                + "size classes on 40 % of them, mimics and stain variation on all; docs/slides.md, \"Whole "
                + "slides: the synthetic-wsi-hard benchmark\") or camelyon16 (a cohort in CAMELYON16's exact layout: "
                + "training/{normal,tumor}/*.tif, testing/images/*.tif, testing/reference.csv, ASAP XML lesion "
                + "outlines with a _2 exclusion; a third of --count are test slides; docs/datasets.md).",
            DefaultValueFactory = _ => "breakhis",
        };
        kind.AcceptOnlyFromAmong([
            .. SyntheticKinds.All,
            DatasetReader.SyntheticSlideKind,
            DatasetReader.HardSyntheticSlideKind,
            Camelyon16Kind,
        ]);
        var count = new Option<int>("--count") { Description = "Number of images.", DefaultValueFactory = _ => 40 };
        var seed = new Option<int>("--seed")
        {
            Description = "Seed; the same seed writes the same images.",
            DefaultValueFactory = _ => 1,
        };
        var slideSize = new Option<string>("--slide-size")
        {
            Description =
                "--kind wsi or wsi-hard: level-0 size HxW at 0.5 µm/px (e.g. 72000x96000 for ~50,000 tissue tiles "
                + "of 224 px).",
            DefaultValueFactory = _ => "6144x8192",
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
            slideSize,
        };
        command.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                {
                    if (r.GetValue(kind) == Camelyon16Kind)
                    {
                        var size = SlideSize(r.GetValue(slideSize)!);
                        int total = r.GetValue(count);
                        if (total < 4)
                            throw new ArgumentException($"--count must be at least 4 for camelyon16 (got {total}).");
                        var slides = SyntheticCamelyon16.Generate(
                            r.GetValue(output)!,
                            total - total / 3,
                            total / 3,
                            r.GetValue(seed),
                            size.Width,
                            size.Height
                        );
                        Console.WriteLine(
                            $"Wrote {slides.Count} slides in CAMELYON16's layout under "
                                + $"{Path.GetFullPath(r.GetValue(output)!)}."
                        );
                        return;
                    }
                    if (DatasetReader.SlideSet(r.GetValue(kind)) is { } set)
                    {
                        var size = SlideSize(r.GetValue(slideSize)!);
                        var slides = SyntheticSlides.Generate(
                            r.GetValue(output)!,
                            new SyntheticSlideOptions(r.GetValue(count), r.GetValue(seed))
                            {
                                Height = size.Height,
                                Width = size.Width,
                                Set = set,
                            },
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

    private const string Camelyon16Kind = "camelyon16";

    private static (int Height, int Width) SlideSize(string text)
    {
        var parts = text.Split('x');
        return
            parts.Length == 2
            && int.TryParse(parts[0], out int height)
            && int.TryParse(parts[1], out int width)
            && height is >= 256 and <= 200_000
            && width is >= 256 and <= 200_000
            ? (height, width)
            : throw new ArgumentException(
                $"--slide-size '{text}' must be HxW (height x width, each 256 to 200000 pixels; e.g. 6144x8192)."
            );
    }
}
