using Amil.MLNet.Slides;
using Microsoft.ML.Runtime;

namespace Microsoft.ML;

/// <summary>Amil.MLNet's whole-slide stage on <c>ml.Transforms</c>: slide → bag of tile features.</summary>
public static class AmilSlidesCatalog
{
    /// <summary>Slide path → the slide's bag of tile features: tissue, 224 px tiles at 20× over it, frozen ResNet18
    /// features of each (cached per slide in <see cref="SlideFeatures.CacheFolder"/>). The columns are those of
    /// <c>ExtractPatchFeatures</c>, so <c>AttentionMil</c> follows it as it follows image features.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The feature bag column, with <c>{name}Layout</c> and <c>{name}Coordinates</c>
    /// (level-0 tile corners). Default "Features".</param>
    /// <param name="inputColumnName">Slide file paths (text). Default "SlidePath".</param>
    public static SlideTilesEstimator TileSlides(
        this TransformsCatalog catalog,
        string outputColumnName = "Features",
        string inputColumnName = "SlidePath"
    ) =>
        catalog.TileSlides(
            new SlideTilesOptions { OutputColumnName = outputColumnName, InputColumnName = inputColumnName }
        );

    /// <summary>Slide path → bag of tile features with every setting of <paramref name="options"/>.</summary>
    public static SlideTilesEstimator TileSlides(this TransformsCatalog catalog, SlideTilesOptions options) =>
        new(PrivateContext(catalog), options);

    /// <summary>Registers this assembly's saved-model components (TileSlides) so <c>ml.Model.Load</c> can rebuild
    /// them; <c>RegisterAmilComponents</c> does it too.</summary>
    public static void RegisterAmilSlides(this ComponentCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        catalog.RegisterAssembly(typeof(AmilSlidesCatalog).Assembly);
    }

    // TileSlides holds no host state (its tiling travels in the saved state vector) and draws no random numbers, so
    // its inner ML.NET stages are built on a context of their own (see Amil.MLNet.Transforms' catalog).
    private static MLContext PrivateContext(TransformsCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MLContext(seed: 0);
    }
}
