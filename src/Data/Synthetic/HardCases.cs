using SkiaSharp;

namespace Amil.MLNet.Data.Synthetic;

/// <summary>
/// The <see cref="SyntheticKind.BreakHisHard"/> design, fixed before any method was compared on it. What makes real
/// slides hard, in miniature: tumour is a few small foci (1–10 % of the image in all, sometimes a handful of
/// patches); benign mimics appear in <em>both</em> classes (dense clusters of small dark nuclei, groups of large
/// dark atypical nuclei, staining artefacts), so none of them is a class cue; stain colours and focus blur vary per
/// patient (the split is by patient, so test patients bring unseen stains); about 31 % of patients are benign, as
/// in BreakHis (2,480 of 7,909 images).
/// </summary>
public static class HardCases
{
    /// <summary>Images per synthetic patient unless the options say otherwise.</summary>
    public const int ImagesPerPatient = 6;

    /// <summary>Share of the image that tumour covers in a malignant image, in all foci together.</summary>
    public const double MinTumourShare = 0.01,
        MaxTumourShare = 0.10;

    /// <summary>Whether the patient is benign: 4 patients in every 13 (30.8 %), interleaved so any two consecutive
    /// patients include both classes.</summary>
    public static bool IsBenignPatient(int patient) => patient * 4 % 13 < 4;

    /// <summary>A patient's stain and blur, the same for all the patient's images.</summary>
    internal sealed record PatientLook(StainJitter Stain, float BlurSigma);

    internal static PatientLook LookOf(int seed, int patient)
    {
        var random = new Random(Transforms.StableSeed.Mix(seed, patient, 104729));
        var stain = StainJitter.Sample(random, spread: 30);
        // A third of patients are sharp; the rest are out of focus by up to 1.6 px.
        float blur = random.NextDouble() < 1.0 / 3 ? 0f : 0.4f + 1.2f * (float)random.NextDouble();
        return new PatientLook(stain, blur);
    }

    /// <summary>Paints one image's tissue (stroma already laid down).</summary>
    internal static void Paint(SyntheticPainter painter, Random random, float width, float height, bool malignant)
    {
        (float X, float Y) Anywhere(float margin) =>
            (
                margin + (float)random.NextDouble() * (width - 2 * margin),
                margin + (float)random.NextDouble() * (height - 2 * margin)
            );
        // Glands in both classes, in similar numbers: their count is no cue.
        for (int i = random.Next(2, 7); i > 0; i--)
        {
            var (x, y) = Anywhere(30);
            painter.Gland(x, y, random.Next(14, 34));
        }
        // Mimics, equally likely in both classes.
        if (random.NextDouble() < 0.6)
            for (int i = random.Next(1, 4); i > 0; i--)
            {
                var (x, y) = Anywhere(40);
                painter.DenseCluster(x, y, random.Next(14, 32));
            }
        if (random.NextDouble() < 0.6)
            for (int i = random.Next(1, 4); i > 0; i--)
            {
                var (x, y) = Anywhere(30);
                painter.AtypicalGroup(x, y, random.Next(2, 6));
            }
        if (random.NextDouble() < 0.35)
            painter.StainArtefact(width, height);
        if (malignant)
            Foci(painter, random, width, height);
    }

    private static void Foci(SyntheticPainter painter, Random random, float width, float height)
    {
        // Total share log-uniform in [1 %, 10 %], split unevenly over 1–5 foci.
        double share = MinTumourShare * Math.Pow(MaxTumourShare / MinTumourShare, random.NextDouble());
        int count = random.Next(1, 6);
        var weights = Enumerable.Range(0, count).Select(_ => 0.2 + random.NextDouble()).ToArray();
        double total = weights.Sum();
        foreach (var w in weights)
        {
            double area = share * width * height * w / total;
            float aspect = 0.6f + (float)random.NextDouble() * 0.8f;
            float rx = (float)Math.Sqrt(area / Math.PI * aspect),
                ry = (float)(area / Math.PI / rx);
            // Keep foci inside the 448-row centre crop of a 460-row image.
            float margin = Math.Max(rx, ry) + 8;
            float x = margin + (float)random.NextDouble() * Math.Max(1, width - 2 * margin),
                y = margin + (float)random.NextDouble() * Math.Max(1, height - 2 * margin);
            painter.Tumour(x, y, rx, ry);
        }
    }

    /// <summary>Blurs the painted image in place (the mask stays sharp: it is the ground truth).</summary>
    internal static void Blur(SKSurface surface, float sigma)
    {
        if (sigma <= 0)
            return;
        using var snapshot = surface.Snapshot();
        using var filter = SKImageFilter.CreateBlur(sigma, sigma, SKShaderTileMode.Clamp);
        using var paint = new SKPaint { ImageFilter = filter };
        surface.Canvas.DrawImage(snapshot, 0, 0, paint);
    }
}
