using System.Globalization;
using Amil.MLNet.Transforms.Bagging;

namespace Amil.MLNet.Data.Datasets;

/// <summary>
/// Checks the bags that the patch settings will cut, from image sizes alone, before any training: a bag must hold at
/// least two patches (one patch is no multiple-instance problem), the largest bag must fit the memory budget, and a
/// bag that covers little of its image earns a warning.
/// </summary>
public static class BagSizeGuard
{
    /// <summary>Default memory budget for the largest bag's training step: well under a 24 GB machine's RAM.</summary>
    public const long DefaultBudgetBytes = 6L << 30;

    /// <summary>Patches below which a bag is refused.</summary>
    public const int MinimumPatches = 2;

    /// <summary>Share of the image that patches must cover before a warning is given.</summary>
    public const double LowCoverage = 0.25;

    /// <summary>The patch limit that keeps a bag within <paramref name="budgetBytes"/>.</summary>
    public static int PatchLimit(long bytesPerPatch, long budgetBytes = DefaultBudgetBytes) =>
        (int)Math.Clamp(budgetBytes / Math.Max(1, bytesPerPatch), MinimumPatches, int.MaxValue);

    /// <exception cref="DatasetException">A bag is smaller than two patches, or larger than <paramref
    /// name="maxPatches"/>.</exception>
    public static void Check(
        IReadOnlyList<ScreenedImage> images,
        PatchBaggingOptions bagging,
        long bytesPerPatch,
        int maxPatches,
        Action<string> warn
    )
    {
        if (images.Count == 0)
            return;
        var bags = images.Select(i => (Image: i, Layout: PatchCutter.Layout(i.Width, i.Height, bagging))).ToList();
        var smallest = bags.MinBy(b => b.Layout.Count);
        var largest = bags.MaxBy(b => b.Layout.Count);
        string settings = Describe(bagging);
        if (smallest.Layout.Count < MinimumPatches)
            throw new DatasetException(
                $"{smallest.Image.Record.Path}: the patch settings ({settings}) cut a bag of "
                    + $"{smallest.Layout.Count} patch from this "
                    + $"{smallest.Image.Height}x{smallest.Image.Width} (HxW) image; multiple-instance learning "
                    + $"needs at least {MinimumPatches}. "
                    + "Use a smaller --stride or --patch-size, or a larger --crop."
            );
        if (largest.Layout.Count > maxPatches)
            throw new DatasetException(
                $"{largest.Image.Record.Path}: the patch settings ({settings}) cut a bag of "
                    + $"{largest.Layout.Count:N0} patches from this "
                    + $"{largest.Image.Height}x{largest.Image.Width} (HxW) image; training on it would need about "
                    + $"{Gigabytes((long)largest.Layout.Count * bytesPerPatch)} of memory, over the limit of "
                    + $"{maxPatches:N0} patches "
                    + $"(about {Gigabytes((long)maxPatches * bytesPerPatch)}). Cut fewer patches: a --crop HxW, a "
                    + "resize (--resize HxW or "
                    + "patches.resize in datasets.json), a larger --stride; or raise the limit with --max-patches N."
            );

        var sparse = bags.Select(b => (b.Image, b.Layout, Coverage: Coverage(b.Image, b.Layout, bagging)))
            .Where(b => b.Coverage < LowCoverage)
            .ToList();
        if (sparse.Count > 0)
        {
            var worst = sparse.MinBy(b => b.Coverage);
            warn(
                FormattableString.Invariant(
                    $"warning: the patches cover only {worst.Coverage:P0} of {worst.Image.Record.Path} "
                )
                    + FormattableString.Invariant(
                        $"({worst.Layout.Count} patches, {settings}); {sparse.Count} of {images.Count} images "
                    )
                    + FormattableString.Invariant(
                        $"are below {LowCoverage:P0}. Most of each image is never seen: check --crop, "
                    )
                    + "--stride and --patch-size."
            );
        }
    }

    /// <summary>Share of the (resized) image's pixels that lie under at least one patch.</summary>
    private static double Coverage(ScreenedImage image, BagLayout layout, PatchBaggingOptions bagging)
    {
        double width = bagging.ResizeWidth ?? image.Width,
            height = bagging.ResizeHeight ?? image.Height;
        int p = layout.PatchSize,
            s = layout.Stride;
        double coveredW = Math.Min(p, s) * (layout.Columns - 1) + p,
            coveredH = Math.Min(p, s) * (layout.Rows - 1) + p;
        return Math.Min(1, coveredW * coveredH / (width * height));
    }

    private static string Describe(PatchBaggingOptions o) =>
        $"{(o.ResizeHeight is null ? "" : $"resize {o.ResizeHeight}x{o.ResizeWidth}, ")}"
        + $"crop {(o.CropHeight is null ? "none" : $"{o.CropHeight}x{o.CropWidth}")}, {o.PatchSize} px patches, "
        + $"stride {o.Stride}";

    private static string Gigabytes(long bytes) =>
        string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F1} GB");
}
