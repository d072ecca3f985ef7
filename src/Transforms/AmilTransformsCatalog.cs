using Amil.MLNet.Transforms.Bagging;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace Amil.MLNet.Transforms;

/// <summary>Catalog entry points: <c>ml.Transforms.BagPatches(...)</c>.</summary>
public static class AmilTransformsCatalog
{
    /// <summary>Cuts each image (a column of file paths) into a bag of patches with grid coordinates.</summary>
    public static PatchBaggingEstimator BagPatches(this TransformsCatalog catalog, PatchBaggingOptions options) =>
        new(GetContext(catalog), options);

    /// <summary>Cuts each image into a bag with the reference defaults (crop 448×700, 28 px patches, stride 28).</summary>
    public static PatchBaggingEstimator BagPatches(this TransformsCatalog catalog, string outputColumnName = "Bag", string inputColumnName = "ImagePath") =>
        new(GetContext(catalog), new PatchBaggingOptions { OutputColumnName = outputColumnName, InputColumnName = inputColumnName });

    /// <summary>Bag of patches → bag of frozen ImageNet ResNet18 features (512 per patch) through ONNX Runtime.</summary>
    public static Features.PatchFeatureEstimator ExtractPatchFeatures(this TransformsCatalog catalog, Features.PatchFeatureOptions? options = null) =>
        new(GetContext(catalog), options ?? new Features.PatchFeatureOptions());

    /// <summary>Registers this assembly's saved-model components so <c>ml.Model.Load</c> can rebuild them.</summary>
    public static void RegisterAmilTransforms(this ComponentCatalog catalog) =>
        catalog.RegisterAssembly(typeof(AmilTransformsCatalog).Assembly);

    // ML.NET keeps a catalog's host environment internal. Our transforms hold no host state (settings travel in the
    // saved state vector), so their inner ML.NET stages are built on a private context.
    internal static MLContext GetContext(TransformsCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MLContext(seed: 0);
    }
}
