using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Microsoft.ML.Runtime;

namespace Microsoft.ML;

/// <summary>Amil.MLNet's transforms on <c>ml.Transforms</c>: image → bag of patches → bag of features (slides:
/// TileSlides, in Amil.MLNet.Slides).</summary>
public static class AmilTransformsCatalog
{
    /// <summary>Cuts each image into a bag of square patches with grid coordinates (centre crop 448×700 by
    /// default).</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The bag column; <c>{name}Layout</c>, <c>{name}Coordinates</c> and
    /// <c>{name}Frame</c> come with it. Default "Bag".</param>
    /// <param name="inputColumnName">Image file paths (text) or encoded image bytes
    /// (<c>ml.Transforms.LoadRawImageBytes</c>). Default "ImagePath".</param>
    /// <param name="patchSize">Patch side in pixels. Default 28.</param>
    /// <param name="stride">Step between patches in pixels (smaller than the patch: overlap). Default 28.</param>
    public static PatchBaggingEstimator BagPatches(
        this TransformsCatalog catalog,
        string outputColumnName = "Bag",
        string inputColumnName = "ImagePath",
        int patchSize = 28,
        int stride = 28
    ) =>
        catalog.BagPatches(
            new PatchBaggingOptions
            {
                OutputColumnName = outputColumnName,
                InputColumnName = inputColumnName,
                PatchSize = patchSize,
                Stride = stride,
            }
        );

    /// <summary>Cuts each image into a bag of patches with every setting of <paramref name="options"/>.</summary>
    public static PatchBaggingEstimator BagPatches(this TransformsCatalog catalog, PatchBaggingOptions options) =>
        new(PrivateContext(catalog), options);

    /// <summary>Bag of patches → bag of frozen ImageNet ResNet18 features (512 per patch) on ONNX Runtime.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The feature bag column (with its <c>{name}Layout</c>). Default
    /// "Features".</param>
    /// <param name="inputColumnName">The bag column written by
    /// <see cref="BagPatches(TransformsCatalog, string, string, int, int)"/>. Default "Bag".</param>
    public static PatchFeatureEstimator ExtractPatchFeatures(
        this TransformsCatalog catalog,
        string outputColumnName = "Features",
        string inputColumnName = "Bag"
    ) =>
        catalog.ExtractPatchFeatures(
            new PatchFeatureOptions { OutputColumnName = outputColumnName, InputColumnName = inputColumnName }
        );

    /// <summary>Bag of patches → bag of features with every setting of <paramref name="options"/>.</summary>
    public static PatchFeatureEstimator ExtractPatchFeatures(
        this TransformsCatalog catalog,
        PatchFeatureOptions options
    ) => new(PrivateContext(catalog), options);

    /// <summary>Registers this assembly's saved-model components so <c>ml.Model.Load</c> can rebuild them.</summary>
    public static void RegisterAmilTransforms(this ComponentCatalog catalog)
    {
        catalog.RegisterAssembly(typeof(AmilTransformsCatalog).Assembly);
    }

    // Our transforms hold no host state (settings travel in the saved state vector) and draw no random numbers, so
    // their inner ML.NET stages are built on a context of their own (see CatalogEnvironment).
    private static MLContext PrivateContext(TransformsCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MLContext(seed: 0);
    }
}
