using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Images;
using SkiaSharp;

namespace Amil.MLNet.Data.Synthetic;

/// <summary>Settings of the synthetic histology generator.</summary>
public sealed record SyntheticOptions(SyntheticKind Kind, int Count, int Seed)
{
    public int Width { get; init; } = 700;
    public int Height { get; init; } = 460;

    /// <summary>Images per synthetic patient (BreakHis kinds). Default 10 (breakhis), 6 (breakhis-hard).</summary>
    public int? ImagesPerPatient { get; init; }
}

/// <summary>
/// Deterministic H&amp;E-like images with tumour masks (255 = tumour) under <c>masks/</c>, mirroring the image paths.
/// Benign tissue has glands of small regular nuclei (and sometimes lone dark, large nuclei as distractors);
/// malignant tissue adds regions of large, crowded, irregular, dark nuclei covering small to large areas.
/// </summary>
public static class SyntheticHistology
{
    public const string MasksFolder = "masks";

    /// <summary>Writes the dataset under <paramref name="root"/>; returns the image paths, relative to the
    /// root.</summary>
    public static IReadOnlyList<string> Generate(string root, SyntheticOptions options, IProgress<int>? progress = null)
    {
        if (options.Count < 1)
            throw new ArgumentException($"--count must be at least 1 (got {options.Count}).");
        if (options.Width < 64 || options.Height < 64)
            throw new ArgumentException("Synthetic images must be at least 64×64.");
        Directory.CreateDirectory(root);
        var plan = Plan(options);
        int done = 0;
        Parallel.For(
            0,
            plan.Count,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            i =>
            {
                var item = plan[i];
                Paint(root, item, options, new Random(Transforms.StableSeed.Mix(options.Seed, i, 7919)));
                progress?.Report(Interlocked.Increment(ref done));
            }
        );
        if (options.Kind == SyntheticKind.Bach)
            AtomicFile.WriteText(
                Path.Combine(root, BachLayout.PhotosPath, BachLayout.GroundTruthFile),
                string.Concat(
                    plan.OrderBy(p => p.Class, StringComparer.Ordinal)
                        .ThenBy(p => p.RelativePath, StringComparer.Ordinal)
                        .Select(p => $"{Path.GetFileName(p.RelativePath)},{p.Class}\n")
                )
            );
        return plan.Select(p => p.RelativePath).ToList();
    }

    private sealed record PlannedImage(string RelativePath, string Class, int Patient = 0);

    private static List<PlannedImage> Plan(SyntheticOptions o)
    {
        var list = new List<PlannedImage>();
        if (o.Kind == SyntheticKind.Bach)
        {
            // BACH's own names: n001.tif, b001.tif, is001.tif, iv001.tif.
            (string Class, string Prefix)[] classes =
            [
                ("Normal", "n"),
                ("Benign", "b"),
                ("InSitu", "is"),
                ("Invasive", "iv"),
            ];
            for (int i = 0; i < o.Count; i++)
            {
                var (c, prefix) = classes[i % classes.Length];
                list.Add(
                    new PlannedImage(
                        Path.Combine(BachLayout.PhotosPath, c, $"{prefix}{i / classes.Length + 1:D3}.tif"),
                        c
                    )
                );
            }
            return list;
        }
        bool hard = o.Kind == SyntheticKind.BreakHisHard;
        int perPatient = o.ImagesPerPatient ?? (hard ? HardCases.ImagesPerPatient : 10);
        int patients = Math.Max(2, (o.Count + perPatient - 1) / perPatient);
        for (int i = 0; i < o.Count; i++)
        {
            int patient = i % patients; // images spread evenly over patients
            // Half the patients benign, half malignant; the hard kind is imbalanced like BreakHis.
            bool malignant = hard ? !HardCases.IsBenignPatient(patient) : patient % 2 == 1;
            var subtypes = malignant ? BreakHisName.MalignantSubtypes : BreakHisName.BenignSubtypes;
            var subtype = subtypes[patient / 2 % subtypes.Count];
            var name = new BreakHisName(malignant, subtype, 14, $"{10001 + patient}S", 40, i / patients + 1);
            list.Add(new PlannedImage(name.RelativePath, malignant ? "malignant" : "benign", patient));
        }
        return list;
    }

    private static void Paint(string root, PlannedImage item, SyntheticOptions o, Random random)
    {
        var imageInfo = new SKImageInfo(o.Width, o.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var imageSurface = SKSurface.Create(imageInfo);
        using var maskSurface = SKSurface.Create(
            new SKImageInfo(o.Width, o.Height, SKColorType.Gray8, SKAlphaType.Opaque)
        );
        maskSurface.Canvas.Clear(SKColors.Black);
        if (o.Kind == SyntheticKind.BreakHisHard)
        {
            var look = HardCases.LookOf(o.Seed, item.Patient);
            var stain = look.Stain.Nudge(random, 6); // the patient's stain, slightly varied per image
            var hardPainter = new SyntheticPainter(imageSurface.Canvas, maskSurface.Canvas, random, stain);
            hardPainter.Stroma(o.Width, o.Height);
            HardCases.Paint(hardPainter, random, o.Width, o.Height, item.Class == "malignant");
            HardCases.Blur(imageSurface, look.BlurSigma);
            Write(root, item, o, imageSurface, maskSurface);
            return;
        }
        var painter = new SyntheticPainter(imageSurface.Canvas, maskSurface.Canvas, random, StainJitter.Sample(random));
        painter.Stroma(o.Width, o.Height);
        new SyntheticScene(painter, random, o.Width, o.Height).Draw(item.Class);
        Write(root, item, o, imageSurface, maskSurface);
    }

    private static void Write(
        string root,
        PlannedImage item,
        SyntheticOptions o,
        SKSurface imageSurface,
        SKSurface maskSurface
    )
    {
        var imagePath = Path.Combine(root, item.RelativePath);
        if (o.Kind == SyntheticKind.Bach)
            RgbImageWriter.WriteTiff(imagePath, ToRgb(imageSurface));
        else
            WritePng(imageSurface, imagePath);
        WritePng(maskSurface, Path.Combine(root, MasksFolder, Path.ChangeExtension(item.RelativePath, ".png")));
    }

    private static RgbImage ToRgb(SKSurface surface)
    {
        using var snapshot = surface.Snapshot();
        using var bitmap = new SKBitmap(
            new SKImageInfo(snapshot.Width, snapshot.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul)
        );
        snapshot.ReadPixels(bitmap.Info, bitmap.GetPixels(), bitmap.RowBytes, 0, 0);
        return SkiaPixels.FromRgba(snapshot.Width, snapshot.Height, bitmap.GetPixelSpan());
    }

    private static void WritePng(SKSurface surface, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.Write(path, data.ToArray());
    }
}
