using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Persistence;

namespace Amil.MLNet.Slides;

/// <summary>One slide's cached features: its tiles (level-0 corner and side) and N × D features, tile-major.</summary>
internal sealed record SlideFeatureBag(IReadOnlyList<SlideTile> Tiles, float[] Features)
{
    /// <summary>Features per tile (512 for ResNet18).</summary>
    public int FeatureSize => Features.Length / Tiles.Count;

    /// <summary>The bag's grid: the tiles side by side in one row, each as wide as its level-0 side.</summary>
    public BagLayout Layout
    {
        get
        {
            int side = Tiles[0].Side;
            return new BagLayout(3, side, side, 1, Tiles.Count, 0, 0, side * Tiles.Count, side);
        }
    }
}

/// <summary>
/// Per-slide ResNet18 features of the tiles over tissue, streamed: tiles are read and encoded a batch at a time, so
/// memory holds one batch of pixels and the slide's features (N × 512 floats: 100 MB for 50,000 tiles), never a level.
/// One entry per slide and settings, keyed by SHA-256 of the slide's size, first and last MiB and the settings (hashing
/// a multi-GB slide whole would cost more than it protects); written beside and renamed over, so an extraction killed
/// mid-slide leaves no entry and a rerun starts that slide again and skips the finished ones. Format (little-endian):
/// "AMILSLID", int32 version 1, int32 N, int32 D, int32 length + UTF-8 settings, N × 3 int32 (x, y, side), N × D
/// float32.
/// </summary>
internal sealed class SlideFeatureCache
{
    private static readonly byte[] Magic = "AMILSLID"u8.ToArray();
    private const int Version = 1,
        BatchSize = 16;

    private readonly TilingSettings _tiling;
    private readonly TissueSettings _tissue;
    private readonly SlideScale _scale;
    private readonly string _settings;

    public SlideFeatureCache(
        string folder,
        TilingSettings tiling,
        TissueSettings? tissue = null,
        SlideScale? scale = null
    )
    {
        Folder = Path.GetFullPath(folder);
        _tiling = tiling;
        _tissue = tissue ?? new TissueSettings();
        _scale = scale ?? new SlideScale();
        _settings = string.Join(
            '|',
            PatchFeatureExtractor.ResNet18,
            FormattableString.Invariant($"tile {tiling.TileSize} mpp {tiling.MicronsPerPixel} x{tiling.Magnification}"),
            FormattableString.Invariant(
                $"tissue {tiling.MinimumTissue:R} {_tissue.MapSide} {_tissue.MinimumPiecePixels}"
            ),
            FormattableString.Invariant(
                $"{_tissue.MinimumSaturation:R} scale {_scale.MicronsPerPixel} {_scale.ObjectivePower}"
            )
        );
        // Overlapping grids are other entries; without overlap the key stays what it was, so caches stay valid.
        if (tiling.Overlap > 0)
            _settings += FormattableString.Invariant($"|overlap {tiling.Overlap:R}");
    }

    public string Folder { get; }

    public string EntryPath(string slidePath)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var stream = File.OpenRead(slidePath))
        {
            sha.AppendData(BitConverter.GetBytes(stream.Length));
            var buffer = new byte[1 << 20];
            int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            sha.AppendData(buffer, 0, read);
            if (stream.Length > buffer.Length)
            {
                stream.Seek(-Math.Min(buffer.Length, stream.Length - read), SeekOrigin.End);
                read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
                sha.AppendData(buffer, 0, read);
            }
        }
        sha.AppendData(Encoding.UTF8.GetBytes(_settings));
        var key = Convert.ToHexStringLower(sha.GetHashAndReset());
        return Path.Combine(Folder, "slides", key[..2], key + ".slidefeat");
    }

    /// <summary>Tiles computed (or read) and the seconds spent computing.</summary>
    public sealed record Outcome(SlideFeatureBag Bag, bool Hit, double Seconds);

    /// <param name="onTiles">Called after each batch with (tiles done, tiles in the slide).</param>
    public Outcome Get(string slidePath, Action<int, int>? onTiles = null, CancellationToken cancel = default)
    {
        var entry = EntryPath(slidePath);
        if (TryRead(entry) is { } cached)
            return new Outcome(cached, true, 0);
        var clock = Stopwatch.StartNew();
        using var slide = SlideImage.Open(slidePath, _scale);
        var tissue = TissueMap.Detect(slide, _tissue);
        var tiles = SlideTiling.Plan(slide, tissue, _tiling);
        if (tiles.Count == 0)
            throw new ImageReadException(
                slidePath,
                FormattableString.Invariant($"no tiles: tissue covers {tissue.TissueFraction:P1} of the slide and ")
                    + "no tile is tissue enough; check the slide's preview with `amil slide`, or lower the minimum "
                    + "tissue share."
            );
        var extractor = PatchFeatureExtractor.Get();
        int size = _tiling.TileSize,
            patchLength = 3 * size * size;
        var features = new float[tiles.Count * PatchFeatureExtractor.FeatureSize];
        var pixels = new float[BatchSize * patchLength];
        for (int first = 0; first < tiles.Count; first += BatchSize)
        {
            cancel.ThrowIfCancellationRequested();
            int n = Math.Min(BatchSize, tiles.Count - first);
            for (int i = 0; i < n; i++)
                ToPlanes(SlideTiling.Read(slide, tiles[first + i], size), pixels.AsSpan(i * patchLength, patchLength));
            var layout = new BagLayout(3, size, size, 1, n, 0, 0, n * size, size);
            var batch = extractor.Extract(pixels.AsSpan(0, n * patchLength), layout, 1f, BatchSize);
            batch.CopyTo(features, first * PatchFeatureExtractor.FeatureSize);
            onTiles?.Invoke(first + n, tiles.Count);
        }
        cancel.ThrowIfCancellationRequested(); // stopped during the last batch: write nothing
        FeatureCheck.ThrowUnlessFinite(slidePath, "ResNet18 tile features", features);
        var bag = new SlideFeatureBag(tiles, features);
        Write(entry, bag);
        return new Outcome(bag, false, clock.Elapsed.TotalSeconds);
    }

    /// <summary>RGB bytes → three planes of 0…255 floats, the extractor's input with a to-byte scale of 1.</summary>
    private static void ToPlanes(RgbImage tile, Span<float> planes)
    {
        int plane = tile.Width * tile.Height;
        var src = tile.Pixels;
        for (int i = 0; i < plane; i++)
        {
            planes[i] = src[3 * i];
            planes[i + plane] = src[3 * i + 1];
            planes[i + 2 * plane] = src[3 * i + 2];
        }
    }

    private SlideFeatureBag? TryRead(string entry)
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
            if (reader.Text(reader.Int()) != _settings || n <= 0 || d <= 0 || reader.Remaining < (long)n * 12)
                return null;
            var tiles = new SlideTile[n];
            for (int i = 0; i < n; i++)
                tiles[i] = new SlideTile(reader.Int(), reader.Int(), reader.Int(), double.NaN);
            return reader.FloatsToEnd((long)n * d) is { } features ? new SlideFeatureBag(tiles, features) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private void Write(string entry, SlideFeatureBag bag)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(entry)!);
        AtomicFile.Write(
            entry,
            temp =>
            {
                using var writer = new BinaryWriter(File.Create(temp));
                var settings = Encoding.UTF8.GetBytes(_settings);
                writer.Write(Magic);
                writer.Write(Version);
                writer.Write(bag.Tiles.Count);
                writer.Write(bag.FeatureSize);
                writer.Write(settings.Length);
                writer.Write(settings);
                foreach (var t in bag.Tiles)
                {
                    writer.Write(t.X);
                    writer.Write(t.Y);
                    writer.Write(t.Side);
                }
                writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(bag.Features.AsSpan()));
            }
        );
    }
}
