using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Stain;

namespace Amil.MLNet.Slides;

/// <summary>A slide's stain, measured on the tissue of its tissue map (a low-resolution level, about 1,024 px on
/// its longer side), and the references tiles are normalised to: a given image or slide, or the training slide most
/// typical of its set.</summary>
public static class SlideStains
{
    /// <summary>The stain profile of a slide's tissue.</summary>
    /// <exception cref="ImageReadException">The slide cannot be read, or shows too little stained tissue.</exception>
    public static StainProfile Measure(string slidePath, StainMethod method)
    {
        using var slide = SlideImage.Open(slidePath);
        return Measure(slidePath, TissueMap.Detect(slide), method);
    }

    /// <summary>The profile of a reference file: a whole slide (its tissue) or an image (its stained pixels).</summary>
    /// <exception cref="ImageReadException">The file cannot be read, or shows too little stained tissue.</exception>
    public static StainProfile Reference(string path, StainMethod method)
    {
        if (SlideImage.IsWholeSlide(path))
            return Measure(path, method);
        var image = RgbImageReader.Read(path);
        try
        {
            return StainProfile.Measure(method, image);
        }
        catch (InvalidDataException e)
        {
            throw new ImageReadException(path, $"cannot serve as a stain reference: {e.Message}");
        }
    }

    /// <summary>Of <paramref name="slides"/>, the profile of the one closest to all others
    /// (<see cref="StainProfile.Medoid"/>): the default reference, chosen from the training slides.</summary>
    public static StainProfile ChooseReference(IReadOnlyList<string> slides, StainMethod method)
    {
        if (slides.Count == 0)
            throw new ArgumentException("Choose a stain reference among one or more slides.", nameof(slides));
        return StainProfile.Medoid([.. slides.Select(s => Measure(s, method))]);
    }

    /// <summary>The normaliser of one slide's tiles to <paramref name="reference"/>, from its tissue map.</summary>
    internal static StainNormalizer Normalizer(string slidePath, TissueMap tissue, StainProfile reference) =>
        StainNormalizer.Create(Measure(slidePath, tissue, reference.Method), reference);

    private static StainProfile Measure(string slidePath, TissueMap tissue, StainMethod method)
    {
        try
        {
            return StainProfile.Measure(method, tissue.Thumbnail, tissue.Tissue);
        }
        catch (InvalidDataException e)
        {
            throw new ImageReadException(slidePath, $"its stain cannot be measured: {e.Message}");
        }
    }
}
