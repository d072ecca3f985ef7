using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms;

namespace Amil.MLNet.Data.Synthetic;

/// <summary>
/// A small cohort in the layout of BACH's whole slides, so the <c>bach-wsi</c> layout can be tried without the
/// download: <c>ICIAR2018_BACH_Challenge/WSI/ANN.svs</c> as Aperio SVS (an Aperio header at 20×), each with Aperio
/// ImageScope XML of the same name beside it, and one slide without annotation (left out for want of a label). Per
/// class: Normal slides have an annotation without regions; Benign ones a "Benign" region; InSitu and Invasive ones
/// tumour foci outlined as "In situ carcinoma" or "Invasive carcinoma", and Invasive ones a "Benign" region as well
/// (the slide takes its most severe class). The in situ and invasive tissue look the same here.
/// </summary>
public static class SyntheticBachWsi
{
    /// <summary>The scale written into the slides' Aperio headers.</summary>
    public const double MicronsPerPixel = 0.467;

    /// <summary>Writes <paramref name="perClass"/> annotated slides of each class and one unannotated slide under
    /// <paramref name="root"/>/ICIAR2018_BACH_Challenge/WSI; returns the slide paths.</summary>
    public static IReadOnlyList<string> Generate(
        string root,
        int perClass,
        int seed,
        int width = 2048,
        int height = 1536
    )
    {
        if (perClass < 1)
            throw new ArgumentException("A BACH-layout cohort needs at least 1 slide per class.");
        var folder = Path.Combine(root, "ICIAR2018_BACH_Challenge", BachWsiLayout.WsiFolder);
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        int number = 0;
        foreach (var label in BachWsiLayout.Severity)
            for (int i = 0; i < perClass; i++)
                written.Add(WriteSlide(folder, ++number, label, seed, width, height));
        written.Add(WriteSlide(folder, ++number, null, seed, width, height));
        return written;
    }

    private static string WriteSlide(string folder, int number, string? label, int seed, int width, int height)
    {
        bool tumour = label is "InSitu" or "Invasive";
        var tissue = SyntheticTissue.Plan(width, height, tumour, StableSeed.Mix(seed, number, 18));
        string path = Path.Combine(folder, FormattableString.Invariant($"A{number:D2}.svs"));
        var pyramid = new PyramidSettings
        {
            Levels = 3,
            MicronsPerPixel = MicronsPerPixel,
            Description = AperioHeader.Describe(width, height, 256, 20, MicronsPerPixel),
        };
        PyramidalTiff.Write(path, width, height, tissue.Render, pyramid);
        if (label is not null)
            ImageScopeXmlWriter.Write(
                Path.ChangeExtension(path, ".xml"),
                Regions(label, tissue, width, height),
                MicronsPerPixel
            );
        return path;
    }

    private static List<ImageScopeXmlWriter.Region> Regions(string label, SyntheticTissue tissue, int width, int height)
    {
        var regions = new List<ImageScopeXmlWriter.Region>();
        if (label is "InSitu" or "Invasive")
            regions.AddRange(
                tissue.Foci.Select(f => new ImageScopeXmlWriter.Region(
                    label == "InSitu" ? "In situ carcinoma" : "Invasive carcinoma",
                    AsapXmlWriter.Ellipse(f.X, f.Y, f.Rx, f.Ry)
                ))
            );
        if (label is "Benign" or "Invasive")
            regions.Add(
                new ImageScopeXmlWriter.Region("Benign", AsapXmlWriter.Ellipse(width * 0.2, height * 0.8, 40, 30))
            );
        return regions;
    }
}
