using System.Diagnostics;
using System.Security.Cryptography;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Encoders;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Stain;

namespace Amil.MLNet.Slides;

/// <summary>One slide's cached features: its tiles (level-0 corner and side) and N × D features, tile-major.</summary>
public sealed record SlideFeatureBag(IReadOnlyList<SlideTile> Tiles, float[] Features)
{
    /// <summary>What quality control left out of the slide; null when it did not run.</summary>
    public QualitySummary? Quality { get; init; }

    /// <summary>Features per tile (512 for ResNet18; the encoder's feature size).</summary>
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

    /// <summary>One bag of several slides' tiles, in order (a slide set's).</summary>
    internal static SlideFeatureBag Concatenate(IReadOnlyList<SlideFeatureBag> bags)
    {
        var features = new float[bags.Sum(b => (long)b.Features.Length)];
        long at = 0;
        foreach (var bag in bags)
        {
            Array.Copy(bag.Features, 0, features, at, bag.Features.Length);
            at += bag.Features.Length;
        }
        return new([.. bags.SelectMany(b => b.Tiles)], features);
    }

    internal FeatureEntry ToEntry() =>
        new(Features, Layout, [.. Tiles.SelectMany(t => new[] { t.X, t.Y })], Quality?.ToJson() ?? "");

    internal static SlideFeatureBag Of(FeatureEntry entry) =>
        new(
            [
                .. Enumerable
                    .Range(0, entry.Count)
                    .Select(i => new SlideTile(
                        entry.Corners[2 * i],
                        entry.Corners[2 * i + 1],
                        entry.Layout.PatchSize,
                        double.NaN
                    )),
            ],
            entry.Features
        )
        {
            Quality = QualitySummary.FromJson(entry.Metadata),
        };
}

/// <summary>
/// Per-slide encoder features (ResNet18 by default) of the tiles over tissue, streamed: tiles are read and encoded a
/// batch at a time, so memory holds one batch of pixels and the slide's features (N × D floats: 100 MB for 50,000
/// tiles of ResNet18's 512), never a level.
/// One entry per slide and settings, keyed by SHA-256 of the slide's size, first and last MiB and the settings (hashing
/// a multi-GB slide whole would cost more than it protects), in the store the image cache uses (its format and its
/// guarantees: an extraction killed mid-slide leaves no entry, and a rerun starts that slide again and skips the
/// finished ones).
/// </summary>
public sealed class SlideFeatureCache
{
    /// <summary>Tiles per encoder call unless the encoder was tuned on this machine
    /// (<see cref="EncoderTuning"/>).</summary>
    public const int DefaultBatchSize = 16;

    /// <summary>Tiles per encoder call: the encoder's tuned batch size on this machine, else
    /// <see cref="DefaultBatchSize"/> (looked up when first needed: a cached slide needs none).</summary>
    public int BatchSize => _batchSize.Value;

    private readonly Lazy<int> _batchSize;

    private readonly TilingSettings _tiling;
    private readonly TissueSettings _tissue;
    private readonly SlideScale _scale;
    private readonly FeatureStore _store;
    private readonly string _encoder;
    private readonly StainProfile? _stain;
    private readonly bool _qualityControl;

    /// <summary>A cache in <paramref name="folder"/> for slides tiled with these settings and encoded by
    /// <paramref name="encoder"/> ("resnet18", the default, or an encoder manifest: see
    /// <see cref="PatchEncoders"/>), their tiles normalised to <paramref name="stain"/> when one is given, and with
    /// <paramref name="qualityControl"/> only the tiles quality control does not flag (<see cref="SlideQuality"/>).
    /// </summary>
    public SlideFeatureCache(
        string folder,
        TilingSettings tiling,
        TissueSettings? tissue = null,
        SlideScale? scale = null,
        string encoder = PatchFeatureExtractor.ResNet18,
        StainProfile? stain = null,
        bool qualityControl = false
    )
    {
        _encoder = encoder;
        _batchSize = new(() => EncoderTuning.Find(encoder)?.BatchSize ?? DefaultBatchSize);
        _stain = stain;
        _qualityControl = qualityControl;
        _tiling = tiling;
        _tissue = tissue ?? new TissueSettings();
        _scale = scale ?? new SlideScale();
        var settings = string.Join(
            '|',
            PatchEncoders.Identity(encoder),
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
            settings += FormattableString.Invariant($"|overlap {tiling.Overlap:R}");
        if (stain is not null)
            settings += $"|stain {stain}";
        if (qualityControl)
            settings += "|quality control";
        _store = new FeatureStore(folder, settings);
    }

    /// <summary>The cache's folder, as a full path.</summary>
    public string Folder => _store.Folder;

    /// <summary>The entry file for a slide with these settings, tiled within the annotated regions of
    /// <paramref name="regions"/> when one is given (an annotation file or mask image), recoloured by
    /// <paramref name="augmentation"/> when one is given.</summary>
    public string EntryPath(string slidePath, string? regions = null, ColourAugmentation? augmentation = null) =>
        _store.EntryPath(sha =>
        {
            if (regions is not null)
            {
                sha.AppendData("regions "u8);
                using var file = File.OpenRead(regions);
                sha.AppendData(SHA256.HashData(file));
            }
            if (augmentation is not null)
                sha.AppendData(System.Text.Encoding.UTF8.GetBytes($"augment {augmentation}"));
            using var stream = File.OpenRead(slidePath);
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
            // A scale the user gives in a table tiles the slide anew: another entry.
            if (SlideScaleTable.Find(slidePath) is { } given)
                sha.AppendData(
                    System.Text.Encoding.UTF8.GetBytes(
                        FormattableString.Invariant($"scale {given.MicronsPerPixel:R} {given.ObjectivePower:R}")
                    )
                );
        });

    /// <summary>Tiles computed (or read) and the seconds spent computing.</summary>
    public sealed record Outcome(SlideFeatureBag Bag, bool Hit, double Seconds)
    {
        /// <summary>Of <see cref="Seconds"/>, those the encoder took on the tiles; the rest went to opening the slide,
        /// finding tissue, reading and decoding tiles and writing the entry. 0 for a hit.</summary>
        public double EncoderSeconds { get; init; }
    }

    /// <summary>The tiles quality control does not flag; none left is an error naming the slide.</summary>
    private IReadOnlyList<SlideTile> Passing(
        SlideImage slide,
        IReadOnlyList<SlideTile> tiles,
        string slidePath,
        out QualitySummary summary
    )
    {
        var flags = SlideQuality.Assess(slide, tiles, _tiling.TileSize);
        summary = QualitySummary.Of(flags);
        var kept = tiles.Where((_, k) => flags[k] == TileFlags.None).ToList();
        if (kept.Count == 0)
            throw new ImageReadException(
                slidePath,
                $"quality control flags all {tiles.Count} tissue tiles ({SlideQuality.Describe(flags)}); check the "
                    + "slide with `amil slide --quality`, or train without quality control."
            );
        return kept;
    }

    /// <summary>The tissue tiles whose centre lies inside the annotated regions; none is an error naming both
    /// files.</summary>
    private static IReadOnlyList<SlideTile> InsideRegions(
        SlideImage slide,
        IReadOnlyList<SlideTile> tiles,
        string slidePath,
        string regions
    )
    {
        RgbImage mask;
        try
        {
            mask = AnnotationMask.ReadRegions(regions, slide.Width, slide.Height);
        }
        catch (Exception e) when (e is InvalidDataException or ImageReadException or IOException)
        {
            throw new ImageReadException(slidePath, $"its annotated regions cannot be read: {e.Message}");
        }
        if (!Enumerable.Range(0, mask.Width * mask.Height).Any(i => mask.Pixels[3 * i] > 127))
            throw new ImageReadException(
                slidePath,
                $"its annotation {regions} outlines no region (or only exclusions); annotate the tissue to tile, or "
                    + "tile all of it."
            );
        var inside = SlideTiling.InsideRegions(tiles, mask, slide.Width, slide.Height);
        if (inside.Count == 0)
            throw new ImageReadException(
                slidePath,
                $"none of its {tiles.Count} tissue tiles has its centre inside the annotated regions of {regions}; "
                    + "check that the annotation is this slide's, in level-0 pixels, or tile the whole tissue."
            );
        return inside;
    }

    /// <param name="slidePath">The slide file.</param>
    /// <param name="onTiles">Called after each batch with (tiles done, tiles in the slide).</param>
    /// <param name="cancel">Stops between batches; nothing is written.</param>
    /// <param name="regions">Tile only inside the annotated regions of this file (an annotation file or mask image:
    /// <see cref="AnnotationMask.ReadRegions"/>): tissue tiles whose centre lies inside. Null: all the tissue.</param>
    /// <param name="augmentation">Recolour every tile (after stain normalisation) with this copy's draw for the
    /// slide, a training copy of it: another entry. Null: colours as they are.</param>
    public Outcome Get(
        string slidePath,
        Action<int, int>? onTiles = null,
        CancellationToken cancel = default,
        string? regions = null,
        ColourAugmentation? augmentation = null
    )
    {
        if (regions is not null && !File.Exists(regions))
            throw new ImageReadException(
                slidePath,
                $"its annotated regions {regions} do not exist; give the slide's annotation file, or tile all its "
                    + "tissue."
            );
        var entry = EntryPath(slidePath, regions, augmentation);
        if (_store.TryRead(entry) is { } cached)
            return new Outcome(SlideFeatureBag.Of(cached), true, 0);
        var clock = Stopwatch.StartNew();
        using var slide = SlideImage.Open(slidePath, _scale);
        var (tiles, quality) = Plan(slide, slidePath, regions);
        var normalizer = _stain is null ? null : SlideStains.Normalizer(slide, tiles, _tiling.TileSize, _stain);
        var recolour = augmentation?.For(Path.GetFileName(slidePath));
        Func<RgbImage, RgbImage> prepare = tile =>
        {
            var normalized = normalizer?.Apply(tile) ?? tile;
            return recolour?.Invoke(normalized) ?? normalized;
        };
        var extractor = PatchFeatureExtractor.Get(_encoder);
        var encoding = new Stopwatch();
        var features = Encode(slide, tiles, prepare, extractor, encoding, onTiles, cancel);
        cancel.ThrowIfCancellationRequested(); // stopped during the last batch: write nothing
        FeatureCheck.ThrowUnlessFinite(slidePath, $"{extractor.Manifest.Name} tile features", features);
        var bag = new SlideFeatureBag(tiles, features) { Quality = quality };
        _store.Write(entry, bag.ToEntry());
        return new Outcome(bag, false, clock.Elapsed.TotalSeconds) { EncoderSeconds = encoding.Elapsed.TotalSeconds };
    }

    /// <summary>The tiles to encode: tissue tiles at the tiling scale, within the annotated regions when given, less
    /// those quality control flags (and its counts) when it runs.</summary>
    private (IReadOnlyList<SlideTile> Tiles, QualitySummary? Quality) Plan(
        SlideImage slide,
        string slidePath,
        string? regions
    )
    {
        var tissue = TissueMap.Detect(slide, _tissue);
        var tiles = SlideTiling.Plan(slide, tissue, _tiling);
        if (tiles.Count == 0)
            throw new ImageReadException(
                slidePath,
                FormattableString.Invariant($"no tiles: tissue covers {tissue.TissueFraction:P1} of the slide and ")
                    + "no tile is tissue enough; check the slide's preview with `amil slide`, or lower the minimum "
                    + "tissue share."
            );
        if (regions is not null)
            tiles = InsideRegions(slide, tiles, slidePath, regions);
        QualitySummary? quality = null;
        if (_qualityControl)
            tiles = Passing(slide, tiles, slidePath, out quality);
        return (tiles, quality);
    }

    /// <summary>Every tile's features (N × D), a batch at a time. Two buffers: the next batch's tiles are read and
    /// decoded while the encoder runs on this one. A slide of fewer tiles than a batch gets buffers its size (each
    /// full one is 9.6 MB for 16 tiles of 224 px).</summary>
    private float[] Encode(
        SlideImage slide,
        IReadOnlyList<SlideTile> tiles,
        Func<RgbImage, RgbImage> prepare,
        PatchFeatureExtractor extractor,
        Stopwatch encoding,
        Action<int, int>? onTiles,
        CancellationToken cancel
    )
    {
        int size = _tiling.TileSize,
            patchLength = 3 * size * size;
        var features = new float[tiles.Count * extractor.FeatureSize];
        int buffered = Math.Min(BatchSize, tiles.Count) * patchLength;
        float[][] buffers = [new float[buffered], new float[buffered]];
        int Fill(int first, float[] pixels)
        {
            int n = Math.Min(BatchSize, tiles.Count - first);
            for (int i = 0; i < n; i++)
                prepare(SlideTiling.Read(slide, tiles[first + i], size))
                    .CopyPlanes(pixels.AsSpan(i * patchLength, patchLength));
            return n;
        }
        var pending = Task.Run(() => Fill(0, buffers[0]));
        try
        {
            for (int first = 0, k = 0; first < tiles.Count; first += BatchSize, k++)
            {
                int n = pending.GetAwaiter().GetResult();
                cancel.ThrowIfCancellationRequested();
                var (pixels, into, next) = (buffers[k % 2], buffers[(k + 1) % 2], first + BatchSize);
                pending = next < tiles.Count ? Task.Run(() => Fill(next, into)) : Task.FromResult(0);
                var layout = new BagLayout(3, size, size, 1, n, 0, 0, n * size, size);
                encoding.Start();
                var batch = extractor.Extract(pixels.AsSpan(0, n * patchLength), layout, 1f, BatchSize);
                encoding.Stop();
                batch.CopyTo(features, first * extractor.FeatureSize);
                onTiles?.Invoke(first + n, tiles.Count);
            }
        }
        finally
        {
            // The slide is closed on the way out: no read may still be running on it.
            ((IAsyncResult)pending).AsyncWaitHandle.WaitOne();
        }
        return features;
    }
}
