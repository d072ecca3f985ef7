using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Stain;

namespace Amil.MLNet.Slides;

/// <summary>A slide's stain, measured on tiles of its tissue read at the tiling scale (up to
/// <see cref="SampleTiles"/>, spread over the slide), so a slide's profile and an image's are taken at the
/// resolution they are normalised at; and the references tiles are normalised to: a given image or slide, or the
/// training slide most typical of its set.</summary>
public static class SlideStains
{
    /// <summary>Tiles a slide's stain is measured on, evenly spread over its tissue tiles.</summary>
    public const int SampleTiles = 16;

    /// <summary>The stain profile of a slide's tissue, tiled with <paramref name="tiling"/> (default: TileSlides'
    /// default tiling, 224 px at 20×).</summary>
    /// <exception cref="ImageReadException">The slide cannot be read, or shows too little stained tissue.</exception>
    public static StainProfile Measure(string slidePath, StainMethod method, TilingSettings? tiling = null)
    {
        tiling ??= new SlideTilesOptions().Tiling;
        using var slide = SlideImage.Open(slidePath);
        var tiles = SlideTiling.Plan(slide, TissueMap.Detect(slide), tiling);
        return Measure(slide, tiles, tiling.TileSize, method);
    }

    /// <summary>The profile of a reference file: a whole slide (its tissue tiles) or an image (its stained
    /// pixels).</summary>
    /// <exception cref="ImageReadException">The file cannot be read, or shows too little stained tissue.</exception>
    public static StainProfile Reference(string path, StainMethod method, TilingSettings? tiling = null)
    {
        if (SlideImage.IsWholeSlide(path))
            return Measure(path, method, tiling);
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
    public static StainProfile ChooseReference(
        IReadOnlyList<string> slides,
        StainMethod method,
        TilingSettings? tiling = null
    )
    {
        if (slides.Count == 0)
            throw new ArgumentException("Choose a stain reference among one or more slides.", nameof(slides));
        return StainProfile.Medoid([.. slides.Select(s => Measure(s, method, tiling))]);
    }

    /// <summary>The normaliser of one slide's tiles to <paramref name="reference"/>, measured on those tiles.</summary>
    internal static StainNormalizer Normalizer(
        SlideImage slide,
        IReadOnlyList<SlideTile> tiles,
        int tileSize,
        StainProfile reference
    ) => StainNormalizer.Create(Measure(slide, tiles, tileSize, reference.Method), reference);

    private static StainProfile Measure(
        SlideImage slide,
        IReadOnlyList<SlideTile> tiles,
        int tileSize,
        StainMethod method
    )
    {
        if (tiles.Count == 0)
            throw new ImageReadException(slide.FilePath, "its stain cannot be measured: it has no tissue tiles.");
        int n = Math.Min(SampleTiles, tiles.Count);
        var sample = Enumerable.Range(0, n).Select(k => tiles[(int)((long)k * tiles.Count / n)]).ToList();
        var pixels = new byte[n * tileSize * tileSize * 3];
        for (int k = 0; k < n; k++)
            SlideTiling.Read(slide, sample[k], tileSize).Pixels.CopyTo(pixels, k * tileSize * tileSize * 3);
        try
        {
            return StainProfile.Measure(method, new RgbImage(tileSize, n * tileSize, pixels));
        }
        catch (InvalidDataException e)
        {
            throw new ImageReadException(slide.FilePath, $"its stain cannot be measured: {e.Message}");
        }
    }
}
