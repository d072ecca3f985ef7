using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Transforms.Bagging;

namespace Amil.MLNet.Application;

/// <summary>What every job does with a dataset before a model sees it: resolve the patch settings and screen the
/// images.</summary>
public static class DataPreparation
{
    public static PatchBaggingOptions BaggingOptions(PatchSettings patches, TrainSettings settings)
    {
        var crop = CropSpec.Parse(settings.Crop ?? patches.Crop);
        var resize = CropSpec.Parse(settings.Resize ?? patches.Resize, "Resize");
        // Frozen encoders suit patches of their input size (224 px for ResNet18), tiled without overlap unless told
        // otherwise.
        bool featureMode = settings.OnFeatures;
        int size =
            settings.PatchSize
            ?? (featureMode ? Transforms.Encoders.PatchEncoders.InputSize(settings.Encoder) : patches.Size);
        var options = new PatchBaggingOptions
        {
            CropHeight = crop?.Height,
            CropWidth = crop?.Width,
            ResizeHeight = resize?.Height,
            ResizeWidth = resize?.Width,
            PatchSize = size,
            Stride = settings.Stride ?? (featureMode ? size : patches.Stride),
            SmallImages = settings.PadSmallImages ? SmallImagePolicy.Pad : SmallImagePolicy.Error,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new DatasetException($"Patch settings: {e.Message}");
        }
        return options;
    }

    /// <summary>Screens each part of a split for bad files (see <see cref="ImageScreening"/>); with a
    /// <paramref name="budget"/>, also checks the bags the settings cut (see <see cref="BagSizeGuard"/>).</summary>
    public static DatasetSplit ScreenedSplit(
        DatasetSplit split,
        PatchBaggingOptions? bagging,
        BadImagePolicy policy,
        List<SkippedImage> skipped,
        Action<string> log,
        Action<int, int>? progress = null,
        BagBudget? budget = null
    )
    {
        var all = split.Train.Concat(split.Validation).Concat(split.Test).ToList();
        log(
            $"Checking {all.Count} images (full decode{(policy == BadImagePolicy.Skip ? ", bad files skipped" : "")})…"
        );
        var screened = ImageScreening.ScreenWithSizes(all, bagging, policy, skipped, progress: progress);
        foreach (var s in skipped)
            log($"skipped {s.Path}: {s.Reason}");
        if (bagging is not null && budget is not null)
            BagSizeGuard.Check(screened, bagging, budget.BytesPerPatch, budget.MaxPatches, log);
        var usable = screened.Select(r => r.Record.Path).ToHashSet(StringComparer.Ordinal);
        return usable.Count == all.Count
            ? split
            : new DatasetSplit(
                [.. split.Train.Where(r => usable.Contains(r.Path))],
                [.. split.Validation.Where(r => usable.Contains(r.Path))],
                [.. split.Test.Where(r => usable.Contains(r.Path))]
            );
    }
}

/// <summary>How much memory one patch costs in training, and the largest bag accepted.</summary>
public sealed record BagBudget(long BytesPerPatch, int MaxPatches);
