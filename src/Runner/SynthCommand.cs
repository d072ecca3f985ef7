using System.CommandLine;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Data.Synthetic;

namespace Amil.MLNet.Runner;

/// <summary><c>amil synth</c>: synthetic images or whole slides with their ground truth, or a cohort in a public
/// dataset's layout.</summary>
internal sealed class SynthCommand
{
    private readonly Option<string> _output = CommonOptions.Out("Folder to write the images and masks/ into.");
    private readonly Option<string> _kind = KindOption();
    private readonly Option<int> _count = new("--count")
    {
        Description =
            "Number of images or slides (camelyon17: of labelled patients, five slides each; bracs: of training "
            + "slides per subtype; tcga: of patients; bach-wsi: of slides per class).",
        DefaultValueFactory = _ => 40,
    };
    private readonly Option<int> _seed = new("--seed")
    {
        Description = "Seed; the same seed writes the same images.",
        DefaultValueFactory = _ => 1,
    };
    private readonly Option<string?> _slideSize = new("--slide-size")
    {
        Description =
            "Whole slides (--kind wsi, wsi-hard, camelyon16, camelyon17): level-0 size HxW (e.g. 72000x96000 for "
            + $"~50,000 tissue tiles of 224 px at 0.5 µm/px). Default {SlideDefault} for wsi and wsi-hard, "
            + $"{CohortSlideDefault} for the cohorts.",
    };
    private readonly Option<int?> _rowsPerStrip = new("--rows-per-strip")
    {
        Description =
            "--kind wsi or wsi-hard: write each slide as one level in strips of this many rows (a multiple of 16), "
            + "a non-tiled, non-pyramidal TIFF as some converters write, instead of a tiled pyramid.",
    };
    private readonly Option<bool> _twoSites = new("--two-sites")
    {
        Description =
            "--kind wsi or wsi-hard: every other slide from a second site with a shifted stain, and slides.csv "
            + "split by site (the first site's slides train, the second's test): a stain-shift benchmark.",
    };

    public static Command Create() => new SynthCommand().Build();

    private Command Build()
    {
        var command = new Command(
            "synth",
            "Write synthetic H&E-like images with tumour masks (ground truth for localization).\nExample: amil "
                + "synth --out /tmp/s --kind breakhis --count 40 --seed 1"
        )
        {
            _output,
            _kind,
            _count,
            _seed,
            _slideSize,
            _rowsPerStrip,
            _twoSites,
        };
        command.SetAction(r => CommandRunner.Run(r, () => Console.WriteLine(Write(r))));
        return command;
    }

    private static Option<string> KindOption()
    {
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
                + "outlines with a _2 exclusion; a third of --count are test slides; docs/datasets.md) or camelyon17 "
                + "(CAMELYON17's layout: --count patients of five nodes, training/center_C/patient_NNN_node_N.tif, "
                + "training/stage_labels.csv with every pN stage, ASAP XML outlines, and one unlabelled test "
                + "patient) or bracs (BRACS_WSI/{train,val,test}/Group_G/Type_T/*.svs: --count training slides of "
                + "each of the 7 subtypes, one validation and one test slide of each) or tcga (--count patients' "
                + "barcode-named .svs in GDC UUID folders, some with two slides, one normal sample, and labels.csv) or "
                + "bach-wsi (ICIAR2018_BACH_Challenge/WSI/ANN.svs with ImageScope XML regions beside them: --count "
                + "slides of each of BACH's 4 classes and one unannotated slide).",
            DefaultValueFactory = _ => "breakhis",
        };
        kind.AcceptOnlyFromAmong([
            .. SyntheticKinds.All,
            DatasetReader.SyntheticSlideKind,
            DatasetReader.HardSyntheticSlideKind,
            Camelyon16Kind,
            Camelyon17Kind,
            BracsKind,
            TcgaKind,
            BachWsiKind,
        ]);
        return kind;
    }

    /// <summary>Writes what the options ask for; returns the line to print.</summary>
    private string Write(ParseResult r)
    {
        string kind = r.GetValue(_kind)!;
        if ((r.GetValue(_twoSites) || r.GetValue(_rowsPerStrip) is not null) && DatasetReader.SlideSet(kind) is null)
            throw new ArgumentException("--two-sites and --rows-per-strip are for --kind wsi or wsi-hard.");
        if (kind is Camelyon16Kind or Camelyon17Kind or BracsKind or TcgaKind or BachWsiKind)
            return WriteCohort(
                kind,
                r.GetValue(_output)!,
                r.GetValue(_count),
                r.GetValue(_seed),
                SlideSize(r.GetValue(_slideSize) ?? CohortSlideDefault)
            );
        if (DatasetReader.SlideSet(kind) is { } set)
            return WriteSlides(r, set);
        SyntheticKinds.TryParse(kind, out var parsed);
        var options = new SyntheticOptions(parsed, r.GetValue(_count), r.GetValue(_seed));
        string output = r.GetValue(_output)!;
        var written = SyntheticHistology.Generate(output, options);
        return $"Wrote {written.Count} images and {written.Count} masks under {Path.GetFullPath(output)}.";
    }

    private string WriteSlides(ParseResult r, SyntheticSlideSet set)
    {
        var size = SlideSize(r.GetValue(_slideSize) ?? SlideDefault);
        var slides = SyntheticSlides.Generate(
            r.GetValue(_output)!,
            new SyntheticSlideOptions(r.GetValue(_count), r.GetValue(_seed))
            {
                Height = size.Height,
                Width = size.Width,
                Set = set,
                RowsPerStrip = r.GetValue(_rowsPerStrip),
                TwoSites = r.GetValue(_twoSites),
            },
            n => CommandRunner.Log($"slide {n} of {r.GetValue(_count)} written")
        );
        return $"Wrote {slides.Count} slides, their masks and {SyntheticSlides.ListFile} under "
            + $"{Path.GetFullPath(r.GetValue(_output)!)}.";
    }

    private const string Camelyon16Kind = "camelyon16",
        Camelyon17Kind = "camelyon17",
        BracsKind = "bracs",
        TcgaKind = "tcga",
        BachWsiKind = "bach-wsi",
        SlideDefault = "6144x8192",
        CohortSlideDefault = "1536x2048";

    /// <summary>Writes a cohort in a public dataset's layout; returns the line to print.</summary>
    private static string WriteCohort(string kind, string output, int count, int seed, (int Height, int Width) size)
    {
        string where = Path.GetFullPath(output);
        if (kind == TcgaKind)
        {
            if (count < 4)
                throw new ArgumentException($"--count must be at least 4 patients for tcga (got {count}).");
            var svs = SyntheticTcga.Generate(output, count, seed, size.Width, size.Height);
            return $"Wrote {svs.Count} slides of {count} patients and {TcgaLayout.DefaultLabels} in the GDC's TCGA "
                + $"layout under {where}.";
        }
        if (kind == BachWsiKind)
        {
            if (count < 1)
                throw new ArgumentException($"--count must be at least 1 slide per class for bach-wsi (got {count}).");
            var annotated = SyntheticBachWsi.Generate(output, count, seed, size.Width, size.Height);
            return $"Wrote {annotated.Count} slides ({count} of each of BACH's 4 classes with ImageScope XML, and 1 "
                + $"unannotated) in the layout of BACH's whole slides under {where}.";
        }
        if (kind == BracsKind)
        {
            if (count < 1)
                throw new ArgumentException($"--count must be at least 1 slide per subtype for bracs (got {count}).");
            var wsis = SyntheticBracs.Generate(output, count, seed, size.Width, size.Height);
            return $"Wrote {wsis.Count} slides ({count} training, 1 validation and 1 test slide of each of the 7 "
                + $"subtypes) in BRACS's layout under {Path.Combine(where, "BRACS_WSI")}.";
        }
        if (kind == Camelyon17Kind)
        {
            if (count < 2)
                throw new ArgumentException($"--count must be at least 2 patients for camelyon17 (got {count}).");
            var nodes = SyntheticCamelyon17.Generate(output, count, 1, seed, size.Width, size.Height);
            return $"Wrote {nodes.Count} slides ({count} labelled patients and 1 test patient, five nodes each) in "
                + $"CAMELYON17's layout under {where}.";
        }
        if (count < 4)
            throw new ArgumentException($"--count must be at least 4 for camelyon16 (got {count}).");
        var slides = SyntheticCamelyon16.Generate(output, count - count / 3, count / 3, seed, size.Width, size.Height);
        return $"Wrote {slides.Count} slides in CAMELYON16's layout under {where}.";
    }

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
