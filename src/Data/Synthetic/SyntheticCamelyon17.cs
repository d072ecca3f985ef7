using System.Text;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms;

namespace Amil.MLNet.Data.Synthetic;

/// <summary>
/// A small cohort in CAMELYON17's exact layout, so the <c>camelyon17</c> layout can be tried without the 2.3 TB
/// download: five nodes per patient, <c>training/center_C/patient_NNN_node_N.tif</c> (patients numbered on across the
/// five centres, as distributed), <c>training/stage_labels.csv</c> (<c>patient,stage</c>; a row per patient
/// <c>patient_NNN.zip,pN…</c> followed by its nodes <c>patient_NNN_node_N.tif,negative|itc|micro|macro</c>), ASAP XML
/// outlines of every node with tumour in <c>training/lesion_annotations/</c>, and unlabelled test patients in
/// <c>testing/patients/</c>. Patients cycle through the five pN stages. Slides are generic tiled pyramidal TIFFs whose
/// scale is only in the resolution tags (pixels per centimetre) at each centre's scanner's pixel size. Lesions are
/// drawn in proportion to the slide (isolated tumour cells 1.5 %, micro 7 %, macro 20 % of its width), so they are
/// true to size only on slides large enough; the labels, not the drawn sizes, are the truth.
/// </summary>
public static class SyntheticCamelyon17
{
    /// <summary>Level-0 pixel sizes of the five centres' scanners (µm/px), centre 0 to 4.</summary>
    public static readonly double[] CentreMicronsPerPixel = [0.243, 0.243, 0.226, 0.243, 0.25];

    /// <summary>The node labels of a patient of each stage, and the stage the table states for them: one of each in
    /// turn. Written out rather than derived, so the layout's reading of the stages is checked against a
    /// table.</summary>
    private static readonly (string Stage, string[] Nodes)[] Patients =
    [
        ("pN0", ["negative", "negative", "negative", "negative", "negative"]),
        ("pN0(i+)", ["negative", "itc", "negative", "negative", "negative"]),
        ("pN1mi", ["micro", "negative", "itc", "negative", "negative"]),
        ("pN1", ["negative", "macro", "negative", "micro", "negative"]),
        ("pN2", ["macro", "micro", "negative", "micro", "macro"]),
    ];

    /// <summary>Writes <paramref name="patients"/> labelled and <paramref name="testPatients"/> unlabelled patients of
    /// five nodes each under <paramref name="root"/>; returns the slide paths.</summary>
    public static IReadOnlyList<string> Generate(
        string root,
        int patients,
        int testPatients,
        int seed,
        int width = 2048,
        int height = 1536
    )
    {
        if (patients < 2 || testPatients < 0)
            throw new ArgumentException("A CAMELYON17-layout cohort needs at least 2 labelled patients.");
        var written = new List<string>();
        var table = new StringBuilder("patient,stage\n");
        int perCentre = (patients + CentreMicronsPerPixel.Length - 1) / CentreMicronsPerPixel.Length;
        for (int p = 0; p < patients + testPatients; p++)
        {
            bool test = p >= patients;
            int centre = test ? (p - patients) % 5 : p / perCentre;
            var (stage, nodes) = Patients[p % Patients.Length];
            string patient = FormattableString.Invariant($"patient_{(test ? 100 + p - patients : p):D3}");
            string folder = test
                ? Path.Combine(root, "testing", "patients")
                : Path.Combine(root, Camelyon17Layout.Training, $"center_{centre}");
            if (!test)
                table.Append(patient).Append(".zip,").Append(stage).Append('\n');
            for (int n = 0; n < nodes.Length; n++)
            {
                string id = $"{patient}_node_{n}";
                var tissue = Tissue(nodes[n], width, height, StableSeed.Mix(seed, p, n));
                var pyramid = new PyramidSettings { Levels = 3, MicronsPerPixel = CentreMicronsPerPixel[centre] };
                Directory.CreateDirectory(folder);
                string path = Path.Combine(folder, id + ".tif");
                PyramidalTiff.Write(path, width, height, tissue.Render, pyramid);
                written.Add(path);
                // Outlines of the training nodes with tumour; the test patients come without annotations.
                if (!test && tissue.Foci.Count > 0)
                    WriteAnnotation(root, id, tissue);
                if (!test)
                    table.Append(id).Append(".tif,").Append(nodes[n]).Append('\n');
            }
        }
        AtomicFile.WriteText(Path.Combine(root, Camelyon17Layout.Training, Camelyon17Layout.Labels), table.ToString());
        return written;
    }

    private static SyntheticTissue Tissue(string label, int width, int height, int seed)
    {
        double[] lesions = label switch
        {
            "itc" => [0.015 * width],
            "micro" => [0.07 * width],
            "macro" => [0.2 * width, 0.015 * width],
            _ => [],
        };
        return SyntheticTissue.Plan(width, height, tumour: false, seed).WithLesions(lesions, seed);
    }

    private static void WriteAnnotation(string root, string id, SyntheticTissue tissue) =>
        AsapXmlWriter.Write(
            Path.Combine(root, Camelyon17Layout.Training, Camelyon17Layout.Annotations, id + ".xml"),
            [
                .. tissue.Foci.Select(f => new AsapXmlWriter.Outline(
                    "metastases",
                    AsapXmlWriter.Ellipse(f.X, f.Y, f.Rx, f.Ry)
                )),
            ]
        );
}
