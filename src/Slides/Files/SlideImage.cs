using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Persistence;
using BitMiracle.LibTiff.Classic;
using TiffCodec = Amil.MLNet.Transforms.Images.TiffCodec;

namespace Amil.MLNet.Slides;

/// <summary>Overrides for what a slide file says (or does not say) about its scale.</summary>
public sealed record SlideScale(double? MicronsPerPixel = null, double? ObjectivePower = null);

/// <summary>
/// A whole-slide image in a tiled, pyramidal TIFF (Aperio SVS, or any tiled TIFF with reduced levels), read tile by
/// tile with LibTiff.NET: a region costs the tiles it touches, never a whole level. A TIFF stored in strips (single
/// level or not) is read in bands of whole strips, so a region costs the rows it touches. Any compression LibTiff
/// decodes (JPEG, LZW, Deflate, none) works. Reads are serialised: one open file is one decoder.
/// </summary>
public sealed class SlideImage : IDisposable
{
    /// <summary>Vendor formats only OpenSlide reads.</summary>
    private static readonly string[] OpenSlideOnly = [".ndpi", ".mrxs", ".scn", ".vms", ".vmu", ".bif"];

    /// <summary>File extensions taken for slides.</summary>
    public static readonly IReadOnlyList<string> Extensions = [".svs", ".tif", ".tiff", .. OpenSlideOnly];

    /// <summary>Aperio's JPEG 2000 tile compressions, which LibTiff does not decode.</summary>
    private static readonly int[] Jpeg2000 = [33003, 33005];

    /// <summary>The decoded-block cache: up to 16 Mi pixels (64 MB), but never fewer blocks than the tallest read so
    /// far spanned rows of blocks, plus one (at least 9), so the bands under a row of tiles stay decoded while the
    /// row is read, however tall the tiles.</summary>
    private const int CacheInts = 16 << 20;
    private int _minimumCached = 9;
    private long _cachedInts;

    private readonly Tiff? _tiff;
    private readonly OpenSlideFile? _openSlide;
    private readonly short[] _directories;
    private readonly object _gate = new();
    private readonly Dictionary<(int Level, int Column, int Row), int[]> _tiles = [];
    private readonly Queue<(int, int, int)> _tileOrder = new();

    private SlideImage(string path, Tiff tiff, List<(short Directory, SlideLevel Level)> levels, SlideProperties scale)
    {
        FilePath = path;
        _tiff = tiff;
        _directories = levels.Select(l => l.Directory).ToArray();
        Levels = levels.Select(l => l.Level).ToList();
        Properties = scale;
    }

    private SlideImage(OpenSlideFile openSlide, List<SlideLevel> levels, SlideProperties scale)
    {
        FilePath = openSlide.FilePath;
        _openSlide = openSlide;
        _directories = [];
        Levels = levels;
        Properties = scale;
    }

    /// <summary>The slide file.</summary>
    public string FilePath { get; }

    /// <summary>Which library reads the pixels: LibTiff.NET (tiled TIFF, SVS) or OpenSlide (vendor formats).</summary>
    public SlideReader Reader => _openSlide is null ? SlideReader.LibTiff : SlideReader.OpenSlide;

    /// <summary>Levels from the largest (level 0) down.</summary>
    public IReadOnlyList<SlideLevel> Levels { get; }

    /// <summary>Vendor and scale, after any override.</summary>
    public SlideProperties Properties { get; }

    /// <summary>Level 0's width in pixels.</summary>
    public int Width => Levels[0].Width;

    /// <summary>Level 0's height in pixels.</summary>
    public int Height => Levels[0].Height;

    /// <summary>Whether a file is a whole slide rather than an image: a vendor slide format (.svs, .ndpi, .mrxs, …), or
    /// a readable TIFF that is not a photo (<see cref="IsPhoto"/>). A PNG or JPEG is an image; a file no reader opens
    /// is neither (its reader says why).</summary>
    public static bool IsWholeSlide(string path)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension == ".svs" || OpenSlideOnly.Contains(extension))
            return true;
        return TiffIsPhoto(path) == false;
    }

    /// <summary>Whether a file is a TIFF image rather than a slide: one level, stored in strips, of at most 16
    /// megapixels (BACH's 3-megapixel microscopy images, photos). A tiled or pyramidal TIFF, or a stripped scan larger
    /// than that, is a whole slide (<see cref="IsWholeSlide"/>); for a readable TIFF exactly one of the two holds. A
    /// file that is not a readable TIFF is neither.</summary>
    public static bool IsPhoto(string path) => TiffIsPhoto(path) == true;

    /// <summary>The one rule behind <see cref="IsWholeSlide"/> and <see cref="IsPhoto"/>; null when the file is not a
    /// readable TIFF.</summary>
    private static bool? TiffIsPhoto(string path)
    {
        if (Path.GetExtension(path).ToLowerInvariant() is not (".tif" or ".tiff") || !File.Exists(path))
            return null;
        try
        {
            using var tiff = TiffCodec.Open(path, "r");
            var levels = ReadLevels(tiff, path);
            var first = levels[0].Level;
            return levels.Count == 1 && first.Stripped && (long)first.Width * first.Height <= PhotoPixels;
        }
        catch (Exception e) when (e is ImageReadException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The largest photo: 16 megapixels, above any microscopy image and below any scan.</summary>
    private const long PhotoPixels = 16_000_000;

    /// <summary>Opens a slide; <paramref name="scale"/> overrides the file's µm/px and objective power.</summary>
    /// <param name="reader">Auto: OpenSlide for vendor formats (NDPI, MRXS …) and JPEG 2000 SVS, LibTiff.NET for
    /// the rest.</param>
    public static SlideImage Open(string path, SlideScale? scale = null, SlideReader reader = SlideReader.Auto)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such slide file.", path);
        var table = SlideScaleTable.Find(path);
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (reader == SlideReader.OpenSlide || (reader == SlideReader.Auto && OpenSlideOnly.Contains(extension)))
            return OpenWithOpenSlide(path, scale, table);
        Tiff? tiff = null;
        try
        {
            tiff = TiffCodec.Open(path, "r");
            var levels = ReadLevels(tiff, path);
            tiff.SetDirectory(levels[0].Directory);
            if (reader == SlideReader.Auto && Jpeg2000.Contains(tiff.GetField(TiffTag.COMPRESSION)?[0].ToInt() ?? 0))
            {
                tiff.Dispose();
                tiff = null;
                return OpenWithOpenSlide(path, scale, table);
            }
            var found = SlideProperties.FromAperio(tiff.GetField(TiffTag.IMAGEDESCRIPTION)?[0].ToString());
            found ??= new SlideProperties(
                "tiff",
                SlideProperties.MicronsFromResolution(
                    tiff.GetField(TiffTag.XRESOLUTION)?[0].ToDouble(),
                    tiff.GetField(TiffTag.RESOLUTIONUNIT)?[0].ToInt()
                ),
                null
            );
            var slide = new SlideImage(path, tiff, levels, Effective(found, scale, table));
            tiff = null;
            return slide;
        }
        catch (Exception e) when (e is not (ImageReadException or IOException or UnauthorizedAccessException))
        {
            throw new ImageReadException(
                path,
                $"not a readable slide ({e.GetType().Name}: {e.Message.Split('\n')[0]}); the file may be corrupt."
            );
        }
        finally
        {
            tiff?.Dispose();
        }
    }

    /// <summary>The scale the slide is read at: an explicit <paramref name="scale"/> first, then the slide's row in
    /// a <see cref="SlideScaleTable"/>, which replaces the file's scale whole (a row with µm/px alone drops the file's
    /// objective power, so the two cannot disagree), then the file's own.</summary>
    private static SlideProperties Effective(SlideProperties found, SlideScale? scale, SlideScaleTable.Entry? table)
    {
        var file = table is null
            ? found
            : found with
            {
                MicronsPerPixel = table.MicronsPerPixel,
                ObjectivePower = table.ObjectivePower,
                ScaleTable = table.Table,
            };
        return file with
        {
            MicronsPerPixel = scale?.MicronsPerPixel ?? file.MicronsPerPixel,
            ObjectivePower = scale?.ObjectivePower ?? file.ObjectivePower,
        };
    }

    private static SlideImage OpenWithOpenSlide(string path, SlideScale? scale, SlideScaleTable.Entry? table)
    {
        var file = OpenSlideFile.Open(path);
        try
        {
            static double? Number(string? text) =>
                double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out double v) && v > 0
                    ? v
                    : null;
            var properties = new SlideProperties(
                file.Property("openslide.vendor") ?? "openslide",
                Number(file.Property("openslide.mpp-x")),
                Number(file.Property("openslide.objective-power"))
            );
            return new SlideImage(file, file.Levels(), Effective(properties, scale, table));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Every tiled directory of the same shape as the largest is a level (thumbnails, labels and macro
    /// images are stored in strips or with another aspect ratio, so they drop out). A TIFF with no tiled directory is
    /// read by its strips instead: its stripped directories of the largest's shape are the levels, each read in
    /// bands of whole strips (<see cref="StripBand"/>), so a region still costs only the rows it touches.</summary>
    private static List<(short Directory, SlideLevel Level)> ReadLevels(Tiff tiff, string path)
    {
        var tiled = Directories(tiff, stripped: false);
        var found = tiled.Count > 0 ? tiled : Directories(tiff, stripped: true);
        if (found.Count == 0)
            throw new ImageReadException(path, "holds no image of RGB pixels a slide reader can use.");
        var largest = found.MaxBy(t => (long)t.Width * t.Height);
        var levels = new List<(short Directory, SlideLevel Level)>();
        foreach (var t in found.OrderByDescending(t => (long)t.Width * t.Height))
        {
            double across = (double)largest.Width / t.Width,
                down = (double)largest.Height / t.Height;
            if (Math.Abs(across - down) > 0.02 * Math.Max(across, down) + 1.0 / Math.Min(t.Width, t.Height))
                continue; // another aspect ratio: not part of the pyramid
            var level = new SlideLevel(t.Width, t.Height, (across + down) / 2, t.TileWidth, t.TileHeight)
            {
                Stripped = tiled.Count == 0,
            };
            levels.Add((t.Directory, level));
        }
        return levels;
    }

    /// <summary>The directories stored in tiles (or, with <paramref name="stripped"/>, in strips), with the block a
    /// read decodes: a tile, or a band of whole strips the width of the image.</summary>
    private static List<(short Directory, int Width, int Height, int TileWidth, int TileHeight)> Directories(
        Tiff tiff,
        bool stripped
    )
    {
        var found = new List<(short, int, int, int, int)>();
        short count = tiff.NumberOfDirectories();
        for (short d = 0; d < count; d++)
        {
            if (!tiff.SetDirectory(d) || tiff.IsTiled() == stripped)
                continue;
            int width = tiff.GetField(TiffTag.IMAGEWIDTH)?[0].ToInt() ?? 0,
                height = tiff.GetField(TiffTag.IMAGELENGTH)?[0].ToInt() ?? 0;
            var (blockWidth, blockHeight) = stripped
                ? (width, StripBand(tiff.GetField(TiffTag.ROWSPERSTRIP)?[0].ToInt() ?? height, height))
                : (
                    tiff.GetField(TiffTag.TILEWIDTH)?[0].ToInt() ?? 0,
                    tiff.GetField(TiffTag.TILELENGTH)?[0].ToInt() ?? 0
                );
            if (width > 0 && height > 0 && blockWidth > 0 && blockHeight > 0)
                found.Add((d, width, height, blockWidth, blockHeight));
        }
        return found;
    }

    /// <summary>The rows a stripped level is read in: whole strips, at least 64 rows (so a tile's rows come from a
    /// few decodes, not one per row), never more than the image.</summary>
    private static int StripBand(int rowsPerStrip, int height)
    {
        int strip = Math.Clamp(rowsPerStrip, 1, height);
        return Math.Min(strip * (int)Math.Ceiling(64.0 / strip), strip * (int)Math.Ceiling((double)height / strip));
    }

    /// <summary>The level to read for a wanted downsample: the most detailed level no coarser than asked.</summary>
    public int BestLevel(double downsample)
    {
        int best = 0;
        for (int i = 1; i < Levels.Count; i++)
            if (Levels[i].Downsample <= downsample * 1.001)
                best = i;
        return best;
    }

    /// <summary>The pixels of a rectangle of one level (x, y, width, height in that level's pixels); parts outside the
    /// slide are white, as the glass around tissue is.</summary>
    public RgbImage ReadRegion(int level, int x, int y, int width, int height)
    {
        if (level < 0 || level >= Levels.Count)
            throw new ArgumentOutOfRangeException(
                nameof(level),
                $"{FilePath} has levels 0 to {Levels.Count - 1}; level {level} does not exist."
            );
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), "A region needs a positive size.");
        var info = Levels[level];
        if (_openSlide is not null)
            return _openSlide.ReadRegion(level, info.Downsample, x, y, width, height);
        var pixels = new byte[checked(width * height * 3)];
        Array.Fill(pixels, (byte)255);
        int firstColumn = Math.Max(0, x) / info.TileWidth,
            lastColumn = (Math.Min(info.Width, x + width) - 1) / info.TileWidth,
            firstRow = Math.Max(0, y) / info.TileHeight,
            lastRow = (Math.Min(info.Height, y + height) - 1) / info.TileHeight;
        lock (_gate)
        {
            _minimumCached = Math.Max(_minimumCached, lastRow - firstRow + 2);
            for (int row = firstRow; row <= lastRow && x + width > 0 && y + height > 0; row++)
            for (int column = firstColumn; column <= lastColumn; column++)
                CopyTile(level, info, column, row, Tile(level, info, column, row), pixels, x, y, width, height);
        }
        return new RgbImage(width, height, pixels);
    }

    /// <summary>A tile as LibTiff's RGBA raster (ABGR ints, bottom row first), from a small cache.</summary>
    private int[] Tile(int level, SlideLevel info, int column, int row)
    {
        if (_tiles.TryGetValue((level, column, row), out var cached))
            return cached;
        var tiff = _tiff!;
        if (tiff.CurrentDirectory() != _directories[level] && !tiff.SetDirectory(_directories[level]))
            throw new ImageReadException(FilePath, $"could not open level {level}; the file may be corrupt.");
        var raster = new int[info.TileWidth * info.TileHeight];
        TiffCodec.LastError = null;
        bool read = info.Stripped
            ? ReadBand(tiff, info, row, raster)
            : tiff.ReadRGBATile(column * info.TileWidth, row * info.TileHeight, raster);
        if (!read || TiffCodec.LastError is not null)
            throw new ImageReadException(
                FilePath,
                $"could not decode {(info.Stripped ? "strips of band" : "tile")} ({column}, {row}) of level {level} "
                    + $"({TiffCodec.LastError ?? "unsupported encoding"}); the file may be truncated or corrupt."
            );
        // Keep at least a tile row's worth of blocks (bands of a wide stripped level are large), else a byte budget.
        while (_tileOrder.Count > 0 && _cachedInts + raster.Length > CacheInts && _tileOrder.Count >= _minimumCached)
        {
            var oldest = _tileOrder.Dequeue();
            _cachedInts -= _tiles[oldest].Length;
            _tiles.Remove(oldest);
        }
        _tiles[(level, column, row)] = raster;
        _tileOrder.Enqueue((level, column, row));
        _cachedInts += raster.Length;
        return raster;
    }

    /// <summary>Decodes the strips of band <paramref name="band"/> into <paramref name="raster"/> (ABGR, the band's
    /// bottom row first, as a tile's).</summary>
    private static bool ReadBand(Tiff tiff, SlideLevel info, int band, int[] raster)
    {
        int rowsPerStrip = Math.Clamp(tiff.GetField(TiffTag.ROWSPERSTRIP)?[0].ToInt() ?? info.Height, 1, info.Height);
        var strip = new int[info.Width * rowsPerStrip];
        int top = band * info.TileHeight;
        for (int y = top; y < Math.Min(top + info.TileHeight, info.Height); y += rowsPerStrip)
        {
            if (!tiff.ReadRGBAStrip(y, strip))
                return false;
            int rows = Math.Min(rowsPerStrip, info.Height - y);
            for (int r = 0; r < rows; r++) // the strip's rows bottom first, over the rows it holds
                Array.Copy(
                    strip,
                    (rows - 1 - r) * info.Width,
                    raster,
                    (info.TileHeight - 1 - (y - top + r)) * info.Width,
                    info.Width
                );
        }
        return true;
    }

    private static void CopyTile(
        int level,
        SlideLevel info,
        int column,
        int row,
        int[] raster,
        byte[] pixels,
        int x,
        int y,
        int width,
        int height
    )
    {
        int left = column * info.TileWidth,
            top = row * info.TileHeight;
        int fromX = Math.Max(x, left),
            toX = Math.Min(Math.Min(x + width, left + info.TileWidth), info.Width),
            fromY = Math.Max(y, top),
            toY = Math.Min(Math.Min(y + height, top + info.TileHeight), info.Height);
        for (int py = fromY; py < toY; py++)
        {
            int source = (info.TileHeight - 1 - (py - top)) * info.TileWidth; // bottom row first
            int target = ((py - y) * width + (fromX - x)) * 3;
            for (int px = fromX; px < toX; px++, target += 3)
            {
                int abgr = raster[source + px - left],
                    alpha = Tiff.GetA(abgr);
                pixels[target] = SkiaPixels.OnWhite(Tiff.GetR(abgr), alpha);
                pixels[target + 1] = SkiaPixels.OnWhite(Tiff.GetG(abgr), alpha);
                pixels[target + 2] = SkiaPixels.OnWhite(Tiff.GetB(abgr), alpha);
            }
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose()
    {
        _tiff?.Dispose();
        _openSlide?.Dispose();
    }
}

/// <summary>The library that reads a slide's pixels.</summary>
public enum SlideReader
{
    /// <summary>OpenSlide for vendor formats and JPEG 2000 SVS, LibTiff.NET otherwise.</summary>
    Auto,

    /// <summary>LibTiff.NET, managed: tiled TIFF and SVS with JPEG, LZW, Deflate or no compression.</summary>
    LibTiff,

    /// <summary>The OpenSlide system library (apt-get install libopenslide0).</summary>
    OpenSlide,
}
