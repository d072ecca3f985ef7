using Amil.MLNet.Slides;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Data.Synthetic;

/// <summary>Which set of synthetic slides to write.</summary>
public enum SyntheticSlideSet
{
    /// <summary>synthetic-wsi: tumour foci of 50 µm to 0.6 mm on every other slide, nothing else to confuse.</summary>
    Basic,

    /// <summary>synthetic-wsi-hard: CAMELYON's lesion size classes on 40 % of the slides, mimics on every slide and
    /// each slide's own stain (<see cref="HardSlidePlan"/>).</summary>
    Hard,
}

/// <summary>Settings of <see cref="SyntheticSlides.Generate"/>.</summary>
public sealed record SyntheticSlideOptions(int Count, int Seed)
{
    /// <summary>Which set. Default <see cref="SyntheticSlideSet.Basic"/>.</summary>
    public SyntheticSlideSet Set { get; init; } = SyntheticSlideSet.Basic;

    /// <summary>Level-0 size. Default 8192 × 6144 (4 × 3 mm at 0.5 µm/px).</summary>
    public int Width { get; init; } = 8192;
    public int Height { get; init; } = 6144;

    /// <summary>Write each slide as one level stored in strips of this many rows (a multiple of 16): a non-tiled,
    /// non-pyramidal TIFF, as some converters write. Default none: a tiled pyramid.</summary>
    public int? RowsPerStrip { get; init; }

    /// <summary>Two sites: every other slide comes from a second site whose stain and scanner shift each channel's
    /// optical density (<see cref="SyntheticSlides.SecondSite"/>); slides.csv then splits by site, the first
    /// site's slides to train and the second's to test: a stain-shift benchmark. Default one site.</summary>
    public bool TwoSites { get; init; }

    internal PyramidSettings Pyramid { get; init; } = new() { MicronsPerPixel = SyntheticSlides.MicronsPerPixel };
}

/// <summary>
/// A tiny CAMELYON16-like set: pyramidal JPEG TIFF slides with an Aperio header (so they read as SVS: 20×,
/// 0.5 µm/px), one to three pieces of tissue on glass, and on every other slide one to four tumour foci of varied
/// size (about 50 µm to 0.6 mm across). Written tile by tile from a procedural tissue, so a slide of any size costs
/// the memory of a tile. Each slide comes with its tumour mask at the lowest level's resolution (255 = tumour) and
/// slides.csv (slide_id,label, CLAM's convention).
/// </summary>
public static class SyntheticSlides
{
    public const double MicronsPerPixel = 0.5;

    /// <summary>The second site's factors on the red, green and blue optical densities (<see
    /// cref="SyntheticSlideOptions.TwoSites"/>): less red absorbed, more green, as a paler, bluer stain.</summary>
    public static readonly (double Red, double Green, double Blue) SecondSite = (0.8, 1.2, 1.1);
    public const string SlidesFolder = "slides",
        MasksFolder = "masks",
        ListFile = "slides.csv";

    /// <summary>Writes the slides under <paramref name="root"/>; returns their paths relative to it.</summary>
    public static IReadOnlyList<string> Generate(
        string root,
        SyntheticSlideOptions options,
        Action<int>? onSlideWritten = null
    )
    {
        if (options.Count < 1)
            throw new ArgumentException($"--count must be at least 1 (got {options.Count}).");
        if (options.Width < 256 || options.Height < 256)
            throw new ArgumentException("Synthetic slides must be at least 256×256 pixels.");
        Directory.CreateDirectory(Path.Combine(root, SlidesFolder));
        Directory.CreateDirectory(Path.Combine(root, MasksFolder));
        var tumours = TumourSlides(options);
        var names = new string[options.Count];
        var lines = new string[options.Count];
        int written = 0;
        // Slides are independent: one per core.
        try
        {
            // Bounded: the pool would otherwise start ever more long renders, and every slide would finish last.
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
            Parallel.For(0, options.Count, parallel, i => WriteSlide(i));
        }
        catch (AggregateException e)
        {
            // The first failure as itself (a full disk, a bad folder), not wrapped.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.Flatten().InnerExceptions[0]);
        }

        void WriteSlide(int i)
        {
            bool tumour = tumours[i];
            string id = FormattableString.Invariant($"{(tumour ? "tumor" : "normal")}_{i + 1:D3}");
            int seed = StableSeed.Mix(options.Seed, i, 31);
            var tissue =
                options.Set == SyntheticSlideSet.Hard
                    ? HardSlidePlan.Plan(options.Width, options.Height, tumour, seed)
                    : SyntheticTissue.Plan(options.Width, options.Height, tumour, seed);
            bool second = options.TwoSites && i % 2 == 1;
            if (second)
                tissue = tissue.AtSite(SecondSite);
            var layout = options.RowsPerStrip is { } rows
                ? options.Pyramid with
                {
                    Levels = 1,
                    RowsPerStrip = rows,
                }
                : options.Pyramid;
            var pyramid = layout with
            {
                Description = AperioHeader.Describe(
                    options.Width,
                    options.Height,
                    options.Pyramid.TileSize,
                    20,
                    options.Pyramid.MicronsPerPixel ?? MicronsPerPixel
                ),
            };
            string relative = Path.Combine(SlidesFolder, id + ".svs");
            PyramidalTiff.Write(Path.Combine(root, relative), options.Width, options.Height, tissue.Render, pyramid);
            int maskDownsample = options.RowsPerStrip is null
                ? (int)Math.Pow(pyramid.LevelFactor, pyramid.Levels - 1)
                : 16;
            RgbImageWriter.WritePng(Path.Combine(root, MasksFolder, id + ".png"), tissue.Mask(maskDownsample));
            names[i] = relative;
            lines[i] =
                $"{id},{(tumour ? "tumor" : "normal")}" + (options.TwoSites ? (second ? ",test" : ",train") : "");
            onSlideWritten?.Invoke(Interlocked.Increment(ref written));
        }
        string header = options.TwoSites ? "slide_id,label,split" : "slide_id,label";
        AtomicFile.WriteText(Path.Combine(root, ListFile), string.Join('\n', lines.Prepend(header)) + "\n");
        return names;
    }

    /// <summary>The artefacts drawn on slide <paramref name="index"/> (0-based: slide_id NNN − 1) of a set written
    /// with <paramref name="options"/>, at any level-0 point: the ground truth of quality control. The basic set has
    /// none.</summary>
    public static Func<double, double, TileFlags> Artefacts(SyntheticSlideOptions options, int index)
    {
        if (index < 0 || index >= options.Count)
            throw new ArgumentOutOfRangeException(nameof(index), $"Slide {index + 1} is not one of {options.Count}.");
        if (options.Set != SyntheticSlideSet.Hard)
            return (_, _) => TileFlags.None;
        var tissue = HardSlidePlan.Plan(
            options.Width,
            options.Height,
            TumourSlides(options)[index],
            StableSeed.Mix(options.Seed, index, 31)
        );
        return tissue.ArtefactsAt;
    }

    /// <summary>Which slides carry tumour: every other one in the basic set; in the hard set 40 %, spread by a
    /// shuffle of the seed.</summary>
    private static bool[] TumourSlides(SyntheticSlideOptions options)
    {
        var tumour = new bool[options.Count];
        if (options.Set == SyntheticSlideSet.Basic)
        {
            for (int i = 0; i < tumour.Length; i++)
                tumour[i] = i % 2 == 1;
            return tumour;
        }
        var order = Enumerable.Range(0, options.Count).ToArray();
        new Random(StableSeed.Mix(options.Seed, 40, 7)).Shuffle(order);
        foreach (int i in order.Take((int)Math.Round(options.Count * 0.4)))
            tumour[i] = true;
        return tumour;
    }
}
