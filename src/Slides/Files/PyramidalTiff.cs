using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Persistence;
using BitMiracle.LibTiff.Classic;
using TiffCodec = Amil.MLNet.Transforms.Images.TiffCodec;

namespace Amil.MLNet.Slides;

/// <summary>How tiles of a written pyramid are compressed.</summary>
public enum TileCompression
{
    /// <summary>JPEG (YCbCr), what scanners write; lossy.</summary>
    Jpeg,

    /// <summary>LZW; lossless.</summary>
    Lzw,

    /// <summary>No compression; lossless.</summary>
    None,
}

/// <summary>Settings of <see cref="PyramidalTiff.Write"/>.</summary>
public sealed record PyramidSettings
{
    /// <summary>Levels, level 0 included. Default 3.</summary>
    public int Levels { get; init; } = 3;

    /// <summary>Each level is this many times smaller than the one above. Default 4 (as Aperio scanners).</summary>
    public int LevelFactor { get; init; } = 4;

    /// <summary>Tile side in pixels (a multiple of 16). Default 256.</summary>
    public int TileSize { get; init; } = 256;

    /// <summary>How tiles are compressed. Default JPEG, as scanners write.</summary>
    public TileCompression Compression { get; init; } = TileCompression.Jpeg;

    /// <summary>JPEG quality, 1–100. Default 90.</summary>
    public int JpegQuality { get; init; } = 90;

    /// <summary>µm per level-0 pixel, written as the resolution tags (pixels per centimetre). Default none.</summary>
    public double? MicronsPerPixel { get; init; }

    /// <summary>The first ImageDescription (e.g. an Aperio header, which makes the file read as SVS). Default
    /// none.</summary>
    public string? Description { get; init; }

    /// <summary>Store each level in strips of this many rows instead of tiles (a multiple of 16 with JPEG), as
    /// scanners' plain exports and many converted slides are. Default none: tiles.</summary>
    public int? RowsPerStrip { get; init; }
}

/// <summary>Writes a tiled, pyramidal TIFF one tile at a time, so a slide of any size is written in the memory of a
/// tile. The file appears only when complete.</summary>
public static class PyramidalTiff
{
    /// <summary>Writes a <paramref name="width"/> × <paramref name="height"/> slide to <paramref name="path"/>,
    /// asking <paramref name="render"/> for one tile's pixels at a time.</summary>
    /// <param name="render">The pixels of a region of a level: (downsample, x, y, width, height) in that level's
    /// pixels, where level-0 pixel (x·downsample, y·downsample) is the region's corner.</param>
    public static void Write(
        string path,
        int width,
        int height,
        Func<int, int, int, int, int, RgbImage> render,
        PyramidSettings settings
    )
    {
        if (width < 1 || height < 1)
            throw new ArgumentOutOfRangeException(nameof(width), "A slide needs a positive size.");
        if (settings.TileSize < 16 || settings.TileSize % 16 != 0)
            throw new ArgumentException($"The tile size must be a multiple of 16 (got {settings.TileSize}).");
        if (settings.Levels < 1 || settings.LevelFactor < 2)
            throw new ArgumentException("A pyramid needs at least one level and a level factor of at least 2.");
        if (
            settings.RowsPerStrip is { } rows
            && (rows < 1 || (settings.Compression == TileCompression.Jpeg && rows % 16 != 0))
        )
            throw new ArgumentException($"Rows per strip must be positive, a multiple of 16 with JPEG (got {rows}).");
        AtomicFile.Write(path, temp => WriteLevels(temp, width, height, render, settings));
    }

    private static void WriteLevels(
        string temp,
        int width,
        int height,
        Func<int, int, int, int, int, RgbImage> render,
        PyramidSettings settings
    )
    {
        using var tiff = TiffCodec.Open(temp, "w");
        int downsample = 1;
        for (int level = 0; level < settings.Levels; level++, downsample *= settings.LevelFactor)
        {
            int levelWidth = Math.Max(1, width / downsample),
                levelHeight = Math.Max(1, height / downsample);
            SetFields(tiff, level, levelWidth, levelHeight, settings);
            if (settings.RowsPerStrip is { } rows)
                WriteStrips(tiff, temp, downsample, levelWidth, levelHeight, rows, render);
            else
                WriteTiles(tiff, temp, downsample, levelWidth, levelHeight, settings.TileSize, render);
            if (!tiff.WriteDirectory())
                throw new IOException($"{temp}: could not write level {level} ({TiffCodec.LastError}).");
        }
    }

    private static void WriteStrips(
        Tiff tiff,
        string temp,
        int downsample,
        int levelWidth,
        int levelHeight,
        int rows,
        Func<int, int, int, int, int, RgbImage> render
    )
    {
        for (int y = 0, strip = 0; y < levelHeight; y += rows, strip++)
        {
            int h = Math.Min(rows, levelHeight - y);
            var region = Rendered(render, downsample, 0, y, levelWidth, h);
            if (tiff.WriteEncodedStrip(strip, region.Pixels, region.Pixels.Length) < 0)
                throw new IOException($"{temp}: could not write a strip ({TiffCodec.LastError}).");
        }
    }

    private static void WriteTiles(
        Tiff tiff,
        string temp,
        int downsample,
        int levelWidth,
        int levelHeight,
        int tile,
        Func<int, int, int, int, int, RgbImage> render
    )
    {
        var buffer = new byte[tile * tile * 3];
        for (int y = 0; y < levelHeight; y += tile)
        for (int x = 0; x < levelWidth; x += tile)
        {
            int w = Math.Min(tile, levelWidth - x),
                h = Math.Min(tile, levelHeight - y);
            var region = Rendered(render, downsample, x, y, w, h);
            Array.Fill(buffer, (byte)255); // edge tiles are padded
            for (int row = 0; row < h; row++)
                Array.Copy(region.Pixels, row * w * 3, buffer, row * tile * 3, w * 3);
            if (tiff.WriteTile(buffer, x, y, 0, 0) < 0)
                throw new IOException($"{temp}: could not write a tile ({TiffCodec.LastError}).");
        }
    }

    private static RgbImage Rendered(
        Func<int, int, int, int, int, RgbImage> render,
        int downsample,
        int x,
        int y,
        int w,
        int h
    )
    {
        var region = render(downsample, x, y, w, h);
        return region.Width == w && region.Height == h
            ? region
            : throw new InvalidOperationException($"The renderer gave {region.Width}×{region.Height}, not {w}×{h}.");
    }

    private static void SetFields(Tiff tiff, int level, int width, int height, PyramidSettings settings)
    {
        tiff.SetField(TiffTag.SUBFILETYPE, level == 0 ? 0 : FileType.REDUCEDIMAGE);
        tiff.SetField(TiffTag.IMAGEWIDTH, width);
        tiff.SetField(TiffTag.IMAGELENGTH, height);
        if (settings.RowsPerStrip is { } rows)
            tiff.SetField(TiffTag.ROWSPERSTRIP, rows);
        else
        {
            tiff.SetField(TiffTag.TILEWIDTH, settings.TileSize);
            tiff.SetField(TiffTag.TILELENGTH, settings.TileSize);
        }
        tiff.SetField(TiffTag.SAMPLESPERPIXEL, 3);
        tiff.SetField(TiffTag.BITSPERSAMPLE, 8);
        tiff.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG);
        if (level == 0 && settings.Description is { } description)
            tiff.SetField(TiffTag.IMAGEDESCRIPTION, description);
        if (settings.MicronsPerPixel is { } mpp)
        {
            double perCentimetre = 10_000 / (mpp * Math.Pow(settings.LevelFactor, level));
            tiff.SetField(TiffTag.XRESOLUTION, perCentimetre);
            tiff.SetField(TiffTag.YRESOLUTION, perCentimetre);
            tiff.SetField(TiffTag.RESOLUTIONUNIT, ResUnit.CENTIMETER);
        }
        switch (settings.Compression)
        {
            case TileCompression.Jpeg:
                tiff.SetField(TiffTag.COMPRESSION, Compression.JPEG);
                tiff.SetField(TiffTag.PHOTOMETRIC, Photometric.YCBCR);
                tiff.SetField(TiffTag.JPEGQUALITY, settings.JpegQuality);
                tiff.SetField(TiffTag.JPEGCOLORMODE, JpegColorMode.RGB);
                break;
            case TileCompression.Lzw:
                tiff.SetField(TiffTag.COMPRESSION, Compression.LZW);
                tiff.SetField(TiffTag.PHOTOMETRIC, Photometric.RGB);
                break;
            default:
                tiff.SetField(TiffTag.COMPRESSION, Compression.NONE);
                tiff.SetField(TiffTag.PHOTOMETRIC, Photometric.RGB);
                break;
        }
    }
}
