using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Slides;

namespace Amil.MLNet.Application.Jobs;

/// <summary>Slide encoding against the encoder alone on the same tiles: the whole path of a slide's features (open,
/// tissue, tile read, JPEG decode, encoder, cache write) and, timed inside it, the encoder's calls on the same batches
/// of the same tiles.</summary>
internal static class SlideEncodingBench
{
    /// <summary>Tiles timed, tiles/s through the whole path, and tiles/s of the encoder's calls alone.</summary>
    public sealed record Result(int Tiles, double TilesPerSecond, double EncoderTilesPerSecond);

    /// <summary>Generates three 4096 × 3072 slides under <paramref name="workFolder"/> (reused when there), encodes
    /// the first to warm up and times the other two into a scratch cache of this call.</summary>
    public static Result Run(string workFolder)
    {
        var data = Path.Combine(workFolder, "slides");
        if (!File.Exists(Path.Combine(data, SyntheticSlides.ListFile)))
            SyntheticSlides.Generate(data, new SyntheticSlideOptions(3, 11) { Width = 4096, Height = 3072 });
        var slides = SlideScoring.SlideFiles(Path.Combine(data, SyntheticSlides.SlidesFolder));
        var scratch = Path.Combine(workFolder, $"slide-cache-{Guid.NewGuid():N}");
        try
        {
            var cache = new SlideFeatureCache(scratch, new TilingSettings());
            cache.Get(slides[0]);
            var timed = slides.Skip(1).Select(s => cache.Get(s)).ToList();
            int tiles = timed.Sum(o => o.Bag.Tiles.Count);
            return new Result(
                tiles,
                tiles / timed.Sum(o => o.Seconds),
                tiles / Math.Max(timed.Sum(o => o.EncoderSeconds), 1e-9)
            );
        }
        finally
        {
            if (Directory.Exists(scratch))
                Directory.Delete(scratch, recursive: true);
        }
    }
}
