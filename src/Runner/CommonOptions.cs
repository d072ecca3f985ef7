using System.CommandLine;
using System.Globalization;
using Amil.MLNet.Application;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Features;

namespace Amil.MLNet.Runner;

/// <summary>Options shared by several verbs, so they are spelled the same everywhere.</summary>
internal static class CommonOptions
{
    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "Show stack traces on errors.",
        Recursive = true,
    };

    public static Option<string?> Dataset() =>
        new("--dataset") { Description = "Dataset name in datasets.json (default: the file's \"default\")." };

    public static Option<string?> DatasetsFile() =>
        new("--datasets")
        {
            Description = "datasets.json to read (default: ./datasets.json or the nearest one above).",
        };

    public static Option<string?> Data() =>
        new("--data") { Description = "Ad-hoc dataset folder, instead of --dataset (needs --layout)." };

    public static Option<string?> Layout() =>
        new("--layout")
        {
            Description =
                "Layout of --data: breakhis, breakhis-kaggle, amil-data, bach, image-folder, or for whole slides wsi, "
                + "camelyon16, camelyon17, bracs or tcga.",
        };

    public static Option<string> OnBadImage()
    {
        var option = new Option<string>("--on-bad-image")
        {
            Description =
                "Corrupt, truncated, empty, too-small or non-image files: error (stop, naming every one) or skip "
                + "(leave out, listed in metrics.json).",
            DefaultValueFactory = _ => "error",
        };
        option.AcceptOnlyFromAmong("error", "skip");
        return option;
    }

    public static Option<string> Normalize(string defaultValue, string purpose)
    {
        var option = new Option<string>("--normalize")
        {
            Description = $"Per-image map scaling {purpose}: none (raw values), max, minmax or rank (percentile).",
            DefaultValueFactory = _ => defaultValue,
        };
        option.AcceptOnlyFromAmong("none", "max", "minmax", "rank");
        return option;
    }

    public static Maps.Heatmaps.MapNormalization Normalization(ParseResult r, Option<string> normalize) =>
        Maps.Heatmaps.MapNormalizer.Parse(r.GetValue(normalize)!);

    public static BadImagePolicy Policy(ParseResult r, Option<string> onBadImage) =>
        r.GetValue(onBadImage) == "skip" ? BadImagePolicy.Skip : BadImagePolicy.Error;

    public static Option<string> Model() =>
        new("--model") { Description = "A model.zip written by train.", Required = true };

    /// <summary>Where slide models find their slides' tile features (encoded there first when missing).</summary>
    public static Option<string?> FeatureCache() =>
        new("--feature-cache")
        {
            Description =
                "Slide-level models: the feature cache holding the slides' tile features (default .cache/features; "
                + "slides not in it are encoded first).",
        };

    /// <summary>--tile-size, --tile-mpp, --tile-overlap: how whole slides are tiled; --stain, --stain-reference: how
    /// images' and slides' colours are normalised (training and `features`).</summary>
    public sealed record SlideTileOptions(
        Option<int?> Size,
        Option<double?> MicronsPerPixel,
        Option<double> Overlap,
        Option<string> Stain,
        Option<string?> StainReference,
        Option<bool> QualityControl
    )
    {
        /// <summary>Adds the options to <paramref name="command"/>.</summary>
        public SlideTileOptions AddTo(Command command)
        {
            command.Options.Add(Size);
            command.Options.Add(MicronsPerPixel);
            command.Options.Add(Overlap);
            command.Options.Add(Stain);
            command.Options.Add(StainReference);
            command.Options.Add(QualityControl);
            return this;
        }

        public TrainSettings Apply(ParseResult r, TrainSettings settings) =>
            settings with
            {
                TileSize = r.GetValue(Size),
                TileMicronsPerPixel = r.GetValue(MicronsPerPixel),
                TileOverlap = r.GetValue(Overlap),
                Stain = Enum.Parse<Transforms.Stain.StainMethod>(r.GetValue(Stain)!, ignoreCase: true),
                StainReference = r.GetValue(StainReference),
                TileQualityControl = r.GetValue(QualityControl),
            };
    }

    public static SlideTileOptions SlideTiles() =>
        new(
            new Option<int?>("--tile-size")
            {
                Description =
                    "Whole slides: tile side in pixels at the tiling scale (default: the encoder's input size, 224 "
                    + "for resnet18).",
            },
            new Option<double?>("--tile-mpp")
            {
                Description =
                    "Whole slides: tile at this many µm per pixel instead of the encoder manifest's scale or 20× "
                    + "(0.5 µm/px), e.g. 0.25 for 40× on slides scanned at 40×: tiles half as wide, four times "
                    + "as many.",
            },
            new Option<double>("--tile-overlap")
            {
                Description =
                    "Whole slides: share of a tile its neighbours overlap, 0 to 0.9 (0.5: a step of half a tile, "
                    + "four times the tiles), so a lesion smaller than a tile falls whole inside some tile.",
                DefaultValueFactory = _ => 0,
            },
            StainOption(),
            new Option<string?>("--stain-reference")
            {
                Description =
                    "With --stain: the image or slide whose stain the data is normalised to (default: the training "
                    + "image or slide most typical of the training set; `features` needs the file).",
            },
            new Option<bool>("--quality-control")
            {
                Description =
                    "Whole slides: leave out the tiles quality control flags (blur, pen ink, folds, glass; check a "
                    + "slide with `slide --quality`); saved with the model.",
            }
        );

    private static Option<string> StainOption()
    {
        var stain = new Option<string>("--stain")
        {
            Description =
                "Normalise each image's or slide's colours to a reference stain before its patches or tiles are "
                + "encoded: reinhard (lαβ colour statistics) or macenko (haematoxylin and eosin vectors); saved with "
                + "the model, so scoring normalises alike (docs/slides.md, \"Stain normalisation\").",
            DefaultValueFactory = _ => "none",
        };
        stain.AcceptOnlyFromAmong("none", "reinhard", "macenko");
        return stain;
    }

    /// <summary><paramref name="option"/>, accepting only <paramref name="values"/> (help lists them).</summary>
    public static Option<string> OneOf(Option<string> option, params string[] values)
    {
        option.AcceptOnlyFromAmong(values);
        return option;
    }

    public static Option<string> Out(string what) => new("--out") { Description = what, Required = true };

    /// <summary>--device: where networks run (cpu, cuda, cuda:N or auto; default cpu).</summary>
    public static Option<string> Device(string what = "where the networks run") =>
        new("--device")
        {
            Description =
                $"Device: {what}: cpu, cuda, cuda:N or auto (CUDA when libtorch has it). Model files do not depend "
                + "on it.",
            DefaultValueFactory = _ => "cpu",
        };

    /// <summary>--batch-bags: bags per optimizer step (default 1).</summary>
    public static Option<int> BatchBags() =>
        new("--batch-bags")
        {
            Description =
                "Bags per training step. 1 (default) is the MIL convention and what earlier versions did; 8–64 keep a "
                + "GPU busy (the step minimises the batch's mean loss: fewer, larger steps). On a CPU it does not pay.",
            DefaultValueFactory = _ => 1,
        };

    /// <summary>--workers: threads decoding images (default: one per core, at most 8).</summary>
    public static Option<int?> Workers() =>
        new("--workers")
        {
            Description =
                "Threads decoding images and cutting patches for training (default: one per core, at most 8). The "
                + "order of the bags, and so the model, does not depend on it.",
        };

    /// <summary>The option's value, or an error naming the flag when it is below 1.</summary>
    /// <summary>--seconds: how long a measurement runs.</summary>
    public static Option<double> Seconds(string what, double defaultSeconds) =>
        new("--seconds") { Description = what, DefaultValueFactory = _ => defaultSeconds };

    /// <summary>A comma-separated list of whole numbers from 1 to <paramref name="max"/> given to
    /// <paramref name="option"/>; anything else is an error naming the entry, with
    /// <paramref name="example"/>.</summary>
    public static int[] WholeNumbers(string text, string option, int max, string example)
    {
        var numbers = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(v =>
                int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 && n <= max
                    ? n
                    : throw new ArgumentException(
                        FormattableString.Invariant(
                            $"{option}: '{v}' is not a whole number from 1 to {max}; give a comma-separated list "
                        ) + $"(e.g. {example})."
                    )
            )
            .ToArray();
        return numbers.Length > 0
            ? numbers
            : throw new ArgumentException($"{option}: give at least one number (e.g. {example}).");
    }

    /// <summary>A --seconds value, in (0, 600].</summary>
    public static double Seconds(ParseResult r, Option<double> option)
    {
        double value = r.GetValue(option);
        return value > 0 && value <= 600
            ? value
            : throw new ArgumentException($"{option.Name} must be in (0, 600] (got {value}).");
    }

    public static int Positive(ParseResult r, Option<int> option)
    {
        int value = r.GetValue(option);
        return value >= 1 ? value : throw new ArgumentException($"{option.Name} must be at least 1 (got {value}).");
    }

    /// <summary>As <see cref="Positive"/>, for an option whose absence means "the default".</summary>
    public static int? PositiveOrNull(ParseResult r, Option<int?> option) =>
        r.GetValue(option) switch
        {
            null => null,
            >= 1 and var value => value,
            var value => throw new ArgumentException($"{option.Name} must be at least 1 (got {value})."),
        };
}
