using System.Globalization;
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
        Directory.CreateDirectory(folder);
        var xml = new StringBuilder("<?xml version=\"1.0\"?>\n<ASAP_Annotations>\n\t<Annotations>\n");
        for (int k = 0; k < foci.Count; k++)
        {
            var (x, y, rx, ry) = foci[k];
            Polygon(xml, $"Annotation {k}", k == 0 ? "_0" : "_1", "#F4FA58", Ellipse(x, y, rx, ry));
        }
        var (cx, cy, crx, cry) = foci[0];
        double r = 0.3 * Math.Min(crx, cry);
        Polygon(xml, $"Annotation {foci.Count}", "_2", "#64FE2E", Ellipse(cx, cy, r, r));
        xml.Append("\t</Annotations>\n\t<AnnotationGroups>\n");
        foreach (var (group, colour) in new[] { ("_0", "#FF0000"), ("_1", "#FF0000"), ("_2", "#00FF00") })
            xml.Append($"\t\t<Group Name=\"{group}\" PartOfGroup=\"None\" Color=\"{colour}\">\n")
                .Append("\t\t\t<Attributes />\n\t\t</Group>\n");
        xml.Append("\t</AnnotationGroups>\n</ASAP_Annotations>\n");
        AtomicFile.WriteText(Path.Combine(folder, id + ".xml"), xml.ToString());
    }

    private static void Polygon(StringBuilder xml, string name, string group, string colour, (double, double)[] points)
    {
        xml.Append($"\t\t<Annotation Name=\"{name}\" Type=\"Polygon\" PartOfGroup=\"{group}\" Color=\"{colour}\">\n")
            .Append("\t\t\t<Coordinates>\n");
        for (int i = 0; i < points.Length; i++)
            xml.Append(
                string.Format(
                    CultureInfo.InvariantCulture,
                    "\t\t\t\t<Coordinate Order=\"{0}\" X=\"{1:0.###}\" Y=\"{2:0.###}\" />\n",
                    i,
                    points[i].Item1,
                    points[i].Item2
                )
            );
        xml.Append("\t\t\t</Coordinates>\n\t\t</Annotation>\n");
    }

    private static (double, double)[] Ellipse(double x, double y, double rx, double ry) =>
        [
            .. Enumerable
                .Range(0, 48)
                .Select(i => (x + rx * Math.Cos(i * Math.PI / 24), y + ry * Math.Sin(i * Math.PI / 24))),
        ];
}
