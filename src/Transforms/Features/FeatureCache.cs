using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Transforms.Features;

/// <summary>One image's cached features: N × D values (patch-major) and the bag grid they came from.</summary>
public sealed record FeatureBag(float[] Features, BagLayout Layout)
{
    /// <summary>D, the features per patch.</summary>
    public int FeatureSize => Features.Length / Layout.Count;
}

/// <summary>
/// The images' feature cache: one entry per image and settings, keyed by SHA-256 of the image's bytes, the encoder
/// (its file's hash and preprocessing) and the patch settings (see <see cref="FeatureStore"/> for the file format and
/// its guarantees), so a changed image or setting never reuses old features and an unreadable or mismatching entry is
/// recomputed.
/// </summary>
public sealed class FeatureCache
{
    private readonly PatchBaggingOptions _bagging;
    private readonly PatchFeatureOptions _features;
    private readonly FeatureStore _store;

    /// <summary>A cache in <paramref name="folder"/> for features made with these bagging and feature
    /// settings.</summary>
    public FeatureCache(string folder, PatchBaggingOptions bagging, PatchFeatureOptions features)
    {
        _bagging = bagging.Clone();
        _features = features;
        var settings = string.Join(
            '|',
            Encoders.PatchEncoders.Identity(features.Extractor),
            $"resize {bagging.ResizeWidth}x{bagging.ResizeHeight}",
            $"crop {bagging.CropHeight}x{bagging.CropWidth}",
            $"patch {bagging.PatchSize}",
            $"stride {bagging.Stride}",
            $"scale {bagging.PixelScale:R} {bagging.PixelOffset:R}",
            $"small {bagging.SmallImages}"
        );
        // Without a stain the key stays what it was, so caches stay valid.
        if (bagging.Stain is { } stain)
            settings += $"|stain {stain}";
        _store = new FeatureStore(folder, settings);
    }

    /// <summary>The cache's folder, as a full path.</summary>
    public string Folder => _store.Folder;

    /// <summary>Cache file for an image (its content hash + settings).</summary>
    public string EntryPath(string imagePath) =>
        _store.EntryPath(sha =>
        {
            using var stream = File.OpenRead(imagePath);
            var buffer = new byte[1 << 16];
            for (int n; (n = stream.Read(buffer)) > 0; )
                sha.AppendData(buffer, 0, n);
        });

    /// <summary>The image's features: read from the cache when a valid entry exists (hit), else computed and
    /// stored.</summary>
    public FeatureBag Get(string imagePath, out bool hit)
    {
        var entry = EntryPath(imagePath);
        if (_store.TryRead(entry) is { } cached)
        {
            hit = true;
            return new FeatureBag(cached.Features, cached.Layout);
        }
        hit = false;
        var bag = PatchCutter.Cut(RgbImageReader.Read(imagePath), _bagging, imagePath);
        var extractor = PatchFeatureExtractor.Get(_features.Extractor);
        var features = extractor.Extract(bag.Pixels, bag.Layout, _features.ToByteScale, _features.BatchSize);
        FeatureCheck.ThrowUnlessFinite(imagePath, $"{extractor.Manifest.Name} features", features);
        _store.Write(entry, new FeatureEntry(features, bag.Layout, bag.Coordinates()));
        return new FeatureBag(features, bag.Layout);
    }
}
