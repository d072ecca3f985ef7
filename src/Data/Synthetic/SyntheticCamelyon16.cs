using System.Text;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms;

namespace Amil.MLNet.Data.Synthetic;

/// <summary>
/// A small cohort in CAMELYON16's exact layout, so the <c>camelyon16</c> layout can be tried without the 700 GB
/// download: <c>training/normal/normal_NNN.tif</c>, <c>training/tumor/tumor_NNN.tif</c>,
/// <c>testing/images/test_NNN.tif</c>, <c>testing/reference.csv</c>, and ASAP XML outlines in
/// <c>training/lesion_annotations/</c> and <c>testing/lesion_annotations/</c> (tumour in groups <c>_0</c>/<c>_1</c>,
/// an exclusion in <c>_2</c> inside the first lesion). Slides are generic tiled pyramidal TIFFs whose scale is only in
/// the resolution tags, in pixels per centimetre, at the two centres' 0.243 and 0.226 µm/px. The tissue is the
/// synthetic-wsi tissue (<see cref="SyntheticTissue"/>).
/// </summary>
public static class SyntheticCamelyon16
{
    /// <summary>The two CAMELYON16 centres' level-0 scales (Radboud UMC, UMC Utrecht), alternating by pairs of
    /// slides.</summary>
    public static readonly double[] CentreMicronsPerPixel = [0.243, 0.226];

    /// <summary>Writes <paramref name="training"/> training and <paramref name="testing"/> test slides under
    /// <paramref name="root"/>, every other one with tumour; returns the slide paths.</summary>
    public static IReadOnlyList<string> Generate(
        string root,
        int training,
        int testing,
        int seed,
        int width = 2048,
        int height = 1536
    )
    {
        if (training < 2 || testing < 2)
            throw new ArgumentException("A CAMELYON16-layout cohort needs at least 2 training and 2 test slides.");
        var written = new List<string>();
        var reference = new StringBuilder();
        int normals = 0,
            tumours = 0;
        for (int i = 0; i < training + testing; i++)
        {
            bool test = i >= training,
                tumour = i % 2 == 1;
            string id =
                test ? FormattableString.Invariant($"test_{i - training + 1:D3}")
                : tumour ? FormattableString.Invariant($"tumor_{++tumours:D3}")
                : FormattableString.Invariant($"normal_{++normals:D3}");
            string folder = test
                ? Path.Combine(root, Camelyon16Layout.Testing, Camelyon16Layout.TestImages)
                : Path.Combine(root, Camelyon16Layout.Training, tumour ? "tumor" : "normal");
            var tissue = SyntheticTissue.Plan(width, height, tumour, StableSeed.Mix(seed, i, 16));
            var pyramid = new PyramidSettings { Levels = 3, MicronsPerPixel = CentreMicronsPerPixel[i / 2 % 2] };
            Directory.CreateDirectory(folder);
            string path = Path.Combine(folder, id + ".tif");
            PyramidalTiff.Write(path, width, height, tissue.Render, pyramid);
            written.Add(path);
            if (tumour)
                WriteAnnotation(root, test, id, tissue.Foci);
            if (test)
                reference.Append(id).Append(tumour ? ",Tumor,Macro,Primary\n" : ",Normal,,\n");
        }
        AtomicFile.WriteText(
            Path.Combine(root, Camelyon16Layout.Testing, Camelyon16Layout.Reference),
            reference.ToString()
        );
        return written;
    }

    private static void WriteAnnotation(
        string root,
        bool test,
        string id,
        IReadOnlyList<(double X, double Y, double Rx, double Ry)> foci
    )
    {
        var folder = Path.Combine(
            root,
            test ? Camelyon16Layout.Testing : Camelyon16Layout.Training,
            Camelyon16Layout.Annotations
        );
        var outlines = foci.Select((f, k) => new AsapXmlWriter.Outline(k == 0 ? "_0" : "_1", Ellipse(f))).ToList();
        // A non-tumour area inside the first lesion, in the exclusion group.
        var (cx, cy, crx, cry) = foci[0];
        double r = 0.3 * Math.Min(crx, cry);
        outlines.Add(new AsapXmlWriter.Outline("_2", AsapXmlWriter.Ellipse(cx, cy, r, r)));
        AsapXmlWriter.Write(Path.Combine(folder, id + ".xml"), outlines);
    }

    private static (double, double)[] Ellipse((double X, double Y, double Rx, double Ry) f) =>
        AsapXmlWriter.Ellipse(f.X, f.Y, f.Rx, f.Ry);
}
