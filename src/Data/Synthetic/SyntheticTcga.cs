using System.Text;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms;

namespace Amil.MLNet.Data.Synthetic;

/// <summary>
/// A small cohort shaped as a GDC download of TCGA-BRCA diagnostic slides, so the <c>tcga</c> layout can be tried
/// without the download: each slide in a folder named by a file UUID, named by its barcode
/// (<c>TCGA-A1-A0SB-01Z-00-DX1.&lt;uuid&gt;.svs</c>, Aperio SVS at 40×), every third patient with a second slide
/// (DX2), one solid-tissue-normal slide (sample type 11), one patient missing from the labels, and
/// <c>labels.csv</c> (<c>patient,label</c>) with the histological type: ductal slides have tumour foci, lobular ones
/// none (a synthetic signal, not TCGA's).
/// </summary>
public static class SyntheticTcga
{
    public static IReadOnlyList<string> Generate(
        string root,
        int patients,
        int seed,
        int width = 2048,
        int height = 1536
    )
    {
        if (patients < 4)
            throw new ArgumentException("A TCGA-layout cohort needs at least 4 patients.");
        var random = new Random(seed);
        var written = new List<string>();
        var labels = new StringBuilder("patient,label\n");
        for (int p = 0; p < patients; p++)
        {
            string patient = FormattableString.Invariant($"TCGA-{(char)('A' + p % 6)}{p % 10}-A{p:D3}");
            bool ductal = p % 2 == 0;
            if (p < patients - 1) // the last patient has slides but no label
                labels.Append(patient).Append(',').Append(ductal ? "ductal" : "lobular").Append('\n');
            var slides = new List<string> { "01Z-00-DX1" };
            if (p % 3 == 0)
                slides.Add("01Z-00-DX2");
            if (p == 1)
                slides.Add("11A-01-TS1");
            foreach (var part in slides)
            {
                bool tumour = ductal && !part.StartsWith("11", StringComparison.Ordinal);
                var uuid = new Guid([.. Enumerable.Range(0, 16).Select(_ => (byte)random.Next(256))]).ToString();
                var folder = Path.Combine(root, uuid);
                Directory.CreateDirectory(folder);
                var path = Path.Combine(folder, $"{patient}-{part}.{uuid.ToUpperInvariant()}.svs");
                var tissue = SyntheticTissue.Plan(width, height, tumour, StableSeed.Mix(seed, p, written.Count));
                var pyramid = new PyramidSettings
                {
                    Levels = 3,
                    MicronsPerPixel = 0.2522,
                    Description = AperioHeader.Describe(width, height, 256, 40, 0.2522),
                };
                PyramidalTiff.Write(path, width, height, tissue.Render, pyramid);
                written.Add(path);
            }
        }
        AtomicFile.WriteText(Path.Combine(root, TcgaLayout.DefaultLabels), labels.ToString());
        return written;
    }
}
