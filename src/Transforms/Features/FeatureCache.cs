using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Persistence;

namespace Amil.MLNet.Transforms.Features;

/// <summary>One image's cached features: N × D values (patch-major) and the bag grid they came from.</summary>
internal sealed record FeatureBag(float[] Features, BagLayout Layout)
{
    public int FeatureSize => Features.Length / Layout.Count;
}

/// <summary>
/// On-disk feature cache: one file per image, named by SHA-256 of the image's bytes plus the extractor and patch
/// settings, so a changed image or setting never reuses old features. Files are written beside and renamed over (an
/// interrupted run leaves no partial entry; a rerun continues where it stopped); an unreadable or mismatching entry is
/// recomputed. Format (little-endian): "AMILFEAT", int32 version 1, int32 N, int32 D, 9 × int32 bag layout, UTF-8
/// settings string (int32 length + bytes), N × D float32.
/// </summary>
internal sealed class FeatureCache
{
    private static readonly byte[] Magic = "AMILFEAT"u8.ToArray();
    private const int Version = 1;

    private readonly PatchBaggingOptions _bagging;
    private readonly PatchFeatureOptions _features;
    private readonly string _settings;

    public FeatureCache(string folder, PatchBaggingOptions bagging, PatchFeatureOptions features)
    {
        Folder = Path.GetFullPath(folder);
        _bagging = bagging.Clone();
        _features = features;
        _settings = string.Join(
            '|',
            features.Extractor,
            $"resize {bagging.ResizeWidth}x{bagging.ResizeHeight}",
            $"crop {bagging.CropHeight}x{bagging.CropWidth}",
            $"patch {bagging.PatchSize}",
            $"stride {bagging.Stride}",
            $"scale {bagging.PixelScale:R} {bagging.PixelOffset:R}",
            $"small {bagging.SmallImages}"
        );
    }

    public string Folder { get; }

    /// <summary>Cache file for an image (its content hash + settings).</summary>
    public string EntryPath(string imagePath)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var stream = File.OpenRead(imagePath))
        {
            var buffer = new byte[1 << 16];
            for (int n; (n = stream.Read(buffer)) > 0; )
                sha.AppendData(buffer, 0, n);
        }
        sha.AppendData(Encoding.UTF8.GetBytes(_settings));
        var key = Convert.ToHexStringLower(sha.GetHashAndReset());
        return Path.Combine(Folder, key[..2], key + ".feat");
    }

    /// <summary>The image's features: read from the cache when a valid entry exists (hit), else computed and
    /// stored.</summary>
    public FeatureBag Get(string imagePath, out bool hit)
    {
        var entry = EntryPath(imagePath);
        if (TryRead(entry) is { } cached)
        {
            hit = true;
            return cached;
        }
        hit = false;
        var bag = PatchCutter.Cut(RgbImageReader.Read(imagePath), _bagging, imagePath);
        var features = PatchFeatureExtractor
            .Get(_features.Extractor)
            .Extract(bag.Pixels, bag.Layout, _features.ToByteScale, _features.BatchSize);
        FeatureCheck.ThrowUnlessFinite(imagePath, "ResNet18 features", features);
        var result = new FeatureBag(features, bag.Layout);
        Write(entry, result);
        return result;
    }

    /// <summary>A valid entry, or null when it is missing, truncated, from another format or written for other
    /// settings.</summary>
    private FeatureBag? TryRead(string entry)
    {
        if (!File.Exists(entry))
            return null;
        try
        {
            var reader = new CacheEntryReader(File.ReadAllBytes(entry));
            if (!reader.Header(Magic, Version))
                return null;
            int n = reader.Int(),
                d = reader.Int();
            var layout = new int[BagLayout.EncodedLength];
            for (int i = 0; i < layout.Length; i++)
                layout[i] = reader.Int();
            if (reader.Text(reader.Int()) != _settings || n <= 0 || d <= 0)
                return null;
            if (reader.FloatsToEnd((long)n * d) is not { } features)
                return null;
            var decoded = BagLayout.Decode(layout);
            return decoded.Count == n ? new FeatureBag(features, decoded) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private void Write(string entry, FeatureBag bag)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(entry)!);
        var settings = Encoding.UTF8.GetBytes(_settings);
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(Version);
            writer.Write(bag.Layout.Count);
            writer.Write(bag.FeatureSize);
            foreach (int v in bag.Layout.Encode())
                writer.Write(v);
            writer.Write(settings.Length);
            writer.Write(settings);
            writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(bag.Features.AsSpan()));
        }
        AtomicFile.Write(entry, stream.ToArray());
    }
}
