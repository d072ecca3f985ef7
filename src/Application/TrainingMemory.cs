using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Transforms.Bagging;

namespace Amil.MLNet.Application;

/// <summary>
/// Peak training memory per patch, by network, from measurements on the 2-core build machine: a 45,000-patch bag of
/// 28 px patches peaked at 11.8 GB with the LeNet encoder (≈ 262 KB a patch); the CNN baseline at half resolution
/// peaked at 2.4 GB for 400 patches. Costs scale with the patch area.
/// </summary>
public static class TrainingMemory
{
    public static long BytesPerPatch(TrainSettings settings, PatchBaggingOptions bagging)
    {
        long area = (long)bagging.PatchSize * bagging.PatchSize;
        if (settings.Network == Trainers.Networks.NetworkArchitecture.CnnBaseline)
            return 23_000 * area / Math.Max(1, settings.CnnInputScale * settings.CnnInputScale);
        // Frozen features: the bag's pixels plus the extractor's batch copy; the attention head itself is tiny.
        if (settings.OnFeatures)
            return 24 * area;
        return 334 * area;
    }

    /// <summary>The largest bag training can hold; a batch of B bags keeps B bags' activations until its step, so
    /// each patch counts B times.</summary>
    public static BagBudget Budget(TrainSettings settings, PatchBaggingOptions bagging)
    {
        long perPatch = BytesPerPatch(settings, bagging) * Math.Max(1, settings.BatchBags);
        if (settings.MaxPatches is < BagSizeGuard.MinimumPatches)
            throw new ArgumentException(
                $"--max-patches must be at least {BagSizeGuard.MinimumPatches} (got {settings.MaxPatches})."
            );
        return new BagBudget(perPatch, settings.MaxPatches ?? BagSizeGuard.PatchLimit(perPatch));
    }
}
