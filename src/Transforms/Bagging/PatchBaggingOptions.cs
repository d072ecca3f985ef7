namespace Amil.MLNet.Transforms.Bagging;

/// <summary>What to do with an image smaller than the crop.</summary>
public enum SmallImagePolicy
{
    /// <summary>Stop with an error naming the image (default: a smaller image usually means a wrong dataset or
    /// magnification).</summary>
    Error,

    /// <summary>Pad symmetrically with white (empty slide) up to the crop size.</summary>
    Pad,
}

/// <summary>How an image is cut into a bag of patches. Defaults are the BreakHis reference setup:
/// centre crop 448×700, 28×28 patches, stride 28 → a 16×25 grid of 400 patches.</summary>
public sealed class PatchBaggingOptions
{
    /// <summary>Name of the input column: a string column of image file paths. Default "ImagePath".</summary>
    public string InputColumnName { get; set; } = "ImagePath";

    /// <summary>Name of the output bag column (flat C×P×P pixels per patch, patches in grid row-major order).
    /// Two companion columns are written beside it: <c>{name}Layout</c> and <c>{name}Coordinates</c>. Default
    /// "Bag".</summary>
    public string OutputColumnName { get; set; } = "Bag";

    /// <summary>Centre-crop height in pixels, after any resize; null = use the whole image. Default 448.</summary>
    public int? CropHeight { get; set; } = 448;

    /// <summary>Centre-crop width in pixels, after any resize; null = use the whole image. Default 700.</summary>
    public int? CropWidth { get; set; } = 700;

    /// <summary>Side of a square patch in pixels. Default 28.</summary>
    public int PatchSize { get; set; } = 28;

    /// <summary>Step between patch origins in pixels; smaller than <see cref="PatchSize"/> gives overlapping patches.
    /// Default 28.</summary>
    public int Stride { get; set; } = 28;

    /// <summary>Resize every image to this width before cropping; null = keep (default). Set with <see
    /// cref="ResizeHeight"/>.</summary>
    public int? ResizeWidth { get; set; }

    /// <summary>Resize every image to this height before cropping; null = keep (default). Set with <see
    /// cref="ResizeWidth"/>.</summary>
    public int? ResizeHeight { get; set; }

    /// <summary>Pixel value = byte × scale + offset. Default 1/255 (values in [0, 1]).</summary>
    public float PixelScale { get; set; } = 1f / 255f;

    /// <summary>Added after scaling. Default 0.</summary>
    public float PixelOffset { get; set; }

    /// <summary>What to do when an image is smaller than the crop. Default <see
    /// cref="SmallImagePolicy.Error"/>.</summary>
    public SmallImagePolicy SmallImages { get; set; } = SmallImagePolicy.Error;

    /// <summary>Normalise each image's colours to this reference stain before it is cut (Reinhard or Macenko, the
    /// image's own profile measured on its stained pixels; see <see cref="Stain.StainNormalizer"/>). Saved with the
    /// model. Default none: colours as scanned.</summary>
    public Stain.StainProfile? Stain { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(InputColumnName))
            throw new ArgumentException("InputColumnName must be set.");
        if (string.IsNullOrWhiteSpace(OutputColumnName))
            throw new ArgumentException("OutputColumnName must be set.");
        if (PatchSize < 1)
            throw new ArgumentException($"PatchSize must be at least 1 (got {PatchSize}).");
        if (Stride < 1)
            throw new ArgumentException($"Stride must be at least 1 (got {Stride}).");
        if (CropHeight.HasValue != CropWidth.HasValue)
            throw new ArgumentException("Set both CropHeight and CropWidth, or neither (whole image).");
        if (CropHeight is < 1 || CropWidth is < 1)
            throw new ArgumentException($"Crop must be positive (got {CropHeight}x{CropWidth}).");
        if (CropHeight < PatchSize || CropWidth < PatchSize)
            throw new ArgumentException($"Crop {CropHeight}x{CropWidth} is smaller than one {PatchSize}px patch.");
        if (ResizeWidth.HasValue != ResizeHeight.HasValue)
            throw new ArgumentException("Set both ResizeWidth and ResizeHeight, or neither.");
        if (ResizeWidth is < 1 || ResizeHeight is < 1)
            throw new ArgumentException($"Resize must be positive (got {ResizeWidth}x{ResizeHeight}).");
        if (!float.IsFinite(PixelScale) || !float.IsFinite(PixelOffset))
            throw new ArgumentException("PixelScale and PixelOffset must be finite numbers.");
    }

    /// <summary>A copy, so an estimator keeps the settings it was given.</summary>
    public PatchBaggingOptions Clone() => (PatchBaggingOptions)MemberwiseClone();
}
