using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms;

namespace Amil.MLNet.Data.Synthetic;

/// <summary>
/// A small cohort in BRACS's exact whole-slide layout, so the <c>bracs</c> layout can be tried without the download:
/// <c>BRACS_WSI/{train,val,test}/Group_G/Type_T/BRACS_NNNN.svs</c> for the seven subtypes, as Aperio SVS (an Aperio
/// header at 40×, 0.25 µm/px). Slides of the malignant types (DCIS, IC) have tumour foci; the others do not, so the
/// three groups are told apart only by the malignant one.
/// </summary>
public static class SyntheticBracs
{
    public const double MicronsPerPixel = 0.25;

    /// <summary>Writes <paramref name="perType"/> training slides of each subtype and one validation and one test
    /// slide of each under <paramref name="root"/>/BRACS_WSI; returns the slide paths.</summary>
    public static IReadOnlyList<string> Generate(
        string root,
        int perType,
        int seed,
        int width = 2048,
        int height = 1536
    )
    {
        if (perType < 1)
            throw new ArgumentException("A BRACS-layout cohort needs at least 1 training slide per subtype.");
        var written = new List<string>();
        int number = 1000;
        foreach (var (split, count) in new[] { ("train", perType), ("val", 1), ("test", 1) })
        foreach (var (group, types) in BracsLayout.Groups)
        foreach (var type in types)
            for (int i = 0; i < count; i++)
            {
                string folder = Path.Combine(root, "BRACS_WSI", split, $"Group_{group}", $"Type_{type}");
                string path = Path.Combine(folder, FormattableString.Invariant($"BRACS_{number++}.svs"));
                var tissue = SyntheticTissue.Plan(width, height, group == "MT", StableSeed.Mix(seed, number, 7));
                var pyramid = new PyramidSettings
                {
                    Levels = 3,
                    MicronsPerPixel = MicronsPerPixel,
                    Description = AperioHeader.Describe(width, height, 256, 40, MicronsPerPixel),
                };
                Directory.CreateDirectory(folder);
                PyramidalTiff.Write(path, width, height, tissue.Render, pyramid);
                written.Add(path);
            }
        return written;
    }
}
