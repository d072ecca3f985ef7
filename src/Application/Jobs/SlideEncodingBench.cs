using System.Diagnostics;
using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Encoders;
using Amil.MLNet.Transforms.Features;

namespace Amil.MLNet.Application.Jobs;

/// <summary>Slide encoding against the encoder alone on the same tiles: the whole path of a slide's features (open,
/// tissue, tile read, JPEG decode, encoder, cache write), and the encoder's calls on the same batches of the same tiles
/// read beforehand.</summary>
internal static class SlideEncodingBench
{
    /// <summary>Tiles timed, tiles/s through the whole path, and tiles/s of the encoder's calls alone.</summary>
    public sealed record Result(int Tiles, double TilesPerSecond, double EncoderTilesPerSecond);

    /// <summary>Generates two 8192 × 6144 slides under <paramref name="workFolder"/> (reused when there) and times
    /// them into a scratch cache of this call. The caller warms the encoder up first.</summary>
    public static Result Run(string workFolder)
    {
        var data = Path.Combine(workFolder, "slides");
        if (!File.Exists(Path.Combine(data, SyntheticSlides.ListFile)))
            SyntheticSlides.Generate(data, new SyntheticSlideOptions(2, 11) { Width = 8192, Height = 6144 });
        var slides = SlideScoring.SlideFiles(Path.Combine(data, SyntheticSlides.SlidesFolder));
        var scratch = Path.Combine(workFolder, $"slide-cache-{Guid.NewGuid():N}");
        try
        {
            var cache = new SlideFeatureCache(scratch, new TilingSettings());
            var timed = slides.Select(s => (Slide: s, Outcome: cache.Get(s))).ToList();
            int tiles = timed.Sum(t => t.Outcome.Bag.Tiles.Count);
            double alone = timed.Sum(t => EncoderSeconds(t.Slide, t.Outcome.Bag.Tiles));
            return new Result(tiles, tiles / timed.Sum(t => t.Outcome.Seconds), tiles / Math.Max(alone, 1e-9));
        }
        finally
        {
            if (Directory.Exists(scratch))
                Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>Seconds the encoder takes on the slide's tiles in the cache's batches, with the tiles read and decoded
    /// beforehand: nothing else runs while it is timed.</summary>
    private static double EncoderSeconds(string slidePath, IReadOnlyList<SlideTile> tiles)
    {
        int batch = EncoderTuning.Find(PatchEncoders.ResNet18)?.BatchSize ?? SlideFeatureCache.DefaultBatchSize;
        var tiling = new TilingSettings();
        int size = tiling.TileSize,
            patchLength = 3 * size * size;
        var pixels = new float[tiles.Count * patchLength];
        using (var slide = SlideImage.Open(slidePath))
            for (int i = 0; i < tiles.Count; i++)
                SlideTiling.Read(slide, tiles[i], size).CopyPlanes(pixels.AsSpan(i * patchLength, patchLength));
        var extractor = PatchFeatureExtractor.Get();
        var clock = Stopwatch.StartNew();
        for (int first = 0; first < tiles.Count; first += batch)
        {
            int n = Math.Min(batch, tiles.Count - first);
            var layout = new BagLayout(3, size, size, 1, n, 0, 0, n * size, size);
            extractor.Extract(pixels.AsSpan(first * patchLength, n * patchLength), layout, 1f, batch);
        }
        return clock.Elapsed.TotalSeconds;
    }
}
