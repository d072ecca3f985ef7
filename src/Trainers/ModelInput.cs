namespace Amil.MLNet.Trainers;

/// <summary>What a model scores: images (a path column <c>ImagePath</c>, cut into a bag of patches) or whole slides
/// (a path column <c>SlidePath</c>, whose bag is its tissue tiles).</summary>
public enum ModelInput
{
    /// <summary>Image files (PNG, JPEG, TIFF, BMP…): BagPatches, then Attention-MIL or the CNN baseline.</summary>
    Images,

    /// <summary>Whole-slide files (pyramidal TIFF/SVS, OpenSlide formats): TileSlides, then Attention-MIL.</summary>
    Slides,
}

/// <summary>Names of <see cref="ModelInput"/>.</summary>
public static class ModelInputNames
{
    /// <summary>The input column a model of this kind reads.</summary>
    public static string PathColumn(this ModelInput input) => input == ModelInput.Slides ? "SlidePath" : "ImagePath";

    /// <summary>The bag column whose <c>Layout</c> and <c>Coordinates</c> companions place the map.</summary>
    public static string BagColumn(this ModelInput input) => input == ModelInput.Slides ? "Features" : "Bag";

    /// <summary>"image" or "slide", for messages.</summary>
    public static string Noun(this ModelInput input) => input == ModelInput.Slides ? "slide" : "image";
}
