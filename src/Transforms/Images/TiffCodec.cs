using BitMiracle.LibTiff.Classic;

namespace Amil.MLNet.Transforms.Images;

/// <summary>TIFF decoding and encoding with LibTiff.NET (SkiaSharp, behind ML.NET's image loader, has no TIFF codec).
/// Any TIFF that LibTiff's RGBA path understands (8/16-bit, grayscale, palette, alpha, tiled, compressed) becomes 8-bit
/// RGB.</summary>
/// <remarks>Infrastructure shared by the Amil.MLNet packages, public so that none needs another's internals; not
/// meant to be called from your code, and it may change in any version.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class TiffCodec
{
    static TiffCodec() => Tiff.SetErrorHandler(new CapturingHandler());

    /// <summary>True when the bytes start with a TIFF signature (II*\0 or MM\0*), whatever the file extension
    /// says.</summary>
    internal static bool IsTiff(ReadOnlySpan<byte> head) =>
        head.Length >= 4
        && (
            (head[0] == 'I' && head[1] == 'I' && head[2] == 42 && head[3] == 0)
            || (head[0] == 'M' && head[1] == 'M' && head[2] == 0 && head[3] == 42)
        );

    internal static (int Width, int Height) ReadSize(string path) =>
        Guarded(
            path,
            () =>
            {
                using var tiff = Open(path, "r");
                return Size(tiff, path);
            }
        );

    internal static RgbImage Read(string path) =>
        Guarded(
            path,
            () =>
            {
                using var tiff = Open(path, "r");
                return Decode(tiff, path);
            }
        );

    /// <summary>Decodes TIFF bytes held in memory; <paramref name="name"/> names them in messages.</summary>
    internal static RgbImage Decode(byte[] bytes, string name) =>
        Guarded(
            name,
            () =>
            {
                CapturingHandler.LastError = null;
                using var tiff =
                    Tiff.ClientOpen(name, "r", new MemoryStream(bytes, writable: false), new TiffStream())
                    ?? throw new ImageReadException(
                        name,
                        $"not a readable TIFF ({CapturingHandler.LastError ?? "unknown error"}); the data may be "
                            + "corrupt."
                    );
                return Decode(tiff, name);
            }
        );

    /// <summary>LibTiff.NET answers some corrupt files with casts and index errors of its own; they mean "corrupt
    /// file".</summary>
    private static T Guarded<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e)
            when (e is not (ImageReadException or IOException or UnauthorizedAccessException or OutOfMemoryException))
        {
            throw new ImageReadException(
                path,
                $"not a readable TIFF ({e.GetType().Name}: {e.Message.Split('\n')[0]}); the file may be corrupt."
            );
        }
    }

    private static RgbImage Decode(Tiff tiff, string path)
    {
        var (width, height) = Size(tiff, path);
        var raster = new int[checked(width * height)];
        CapturingHandler.LastError = null;
        if (
            !tiff.ReadRGBAImageOriented(width, height, raster, Orientation.TOPLEFT, stopOnError: true)
            || CapturingHandler.LastError is not null
        )
            throw new ImageReadException(
                path,
                $"could not decode the TIFF pixels ({CapturingHandler.LastError ?? "unsupported encoding"}); the "
                    + "file may be truncated or corrupt."
            );
        var rgb = new byte[width * height * 3];
        for (int i = 0, j = 0; i < raster.Length; i++, j += 3)
        {
            int abgr = raster[i],
                alpha = Tiff.GetA(abgr);
            rgb[j] = SkiaPixels.OnWhite(Tiff.GetR(abgr), alpha);
            rgb[j + 1] = SkiaPixels.OnWhite(Tiff.GetG(abgr), alpha);
            rgb[j + 2] = SkiaPixels.OnWhite(Tiff.GetB(abgr), alpha);
        }
        return new RgbImage(width, height, rgb);
    }

    /// <summary>Writes an 8-bit RGB, LZW-compressed TIFF (the same pixel layout as BACH's microscopy images).</summary>
    internal static void Write(string path, RgbImage image)
    {
        using (var tiff = Open(path, "w"))
        {
            tiff.SetField(TiffTag.IMAGEWIDTH, image.Width);
            tiff.SetField(TiffTag.IMAGELENGTH, image.Height);
            tiff.SetField(TiffTag.SAMPLESPERPIXEL, 3);
            tiff.SetField(TiffTag.BITSPERSAMPLE, 8);
            tiff.SetField(TiffTag.PHOTOMETRIC, Photometric.RGB);
            tiff.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG);
            tiff.SetField(TiffTag.COMPRESSION, Compression.LZW);
            tiff.SetField(TiffTag.ROWSPERSTRIP, 16);
            var row = new byte[image.Width * 3];
            for (int y = 0; y < image.Height; y++)
            {
                Array.Copy(image.Pixels, y * row.Length, row, 0, row.Length);
                if (!tiff.WriteScanline(row, y))
                    throw new IOException($"{path}: could not write TIFF row {y} ({CapturingHandler.LastError}).");
            }
        }
    }

    /// <summary>The last error LibTiff reported on this thread (null after <see cref="Open"/> succeeds
    /// cleanly).</summary>
    public static string? LastError
    {
        get => CapturingHandler.LastError;
        set => CapturingHandler.LastError = value;
    }

    /// <summary>Opens a TIFF with LibTiff, errors captured in <see cref="LastError"/>.</summary>
    public static Tiff Open(string path, string mode)
    {
        CapturingHandler.LastError = null;
        return Tiff.Open(path, mode)
            ?? throw new ImageReadException(
                path,
                $"not a readable TIFF ({CapturingHandler.LastError ?? "unknown error"}); the file may be corrupt or "
                    + "truncated."
            );
    }

    private static (int, int) Size(Tiff tiff, string path)
    {
        int width = tiff.GetField(TiffTag.IMAGEWIDTH)?[0].ToInt() ?? 0,
            height = tiff.GetField(TiffTag.IMAGELENGTH)?[0].ToInt() ?? 0;
        if (width <= 0 || height <= 0)
            throw new ImageReadException(path, "TIFF has no image size; the file is corrupt.");
        RgbImageReader.CheckDecodable(path, width, height);
        return (width, height);
    }

    /// <summary>LibTiff reports problems through a global handler; keep the last error per thread for our messages and
    /// keep stderr clean.</summary>
    private sealed class CapturingHandler : TiffErrorHandler
    {
        [ThreadStatic]
        public static string? LastError;

        public override void ErrorHandler(Tiff tif, string method, string format, params object[] args) =>
            LastError = Format(format, args);

        public override void ErrorHandlerExt(
            Tiff tif,
            object clientData,
            string method,
            string format,
            params object[] args
        ) => LastError = Format(format, args);

        public override void WarningHandler(Tiff tif, string method, string format, params object[] args) { }

        public override void WarningHandlerExt(
            Tiff tif,
            object clientData,
            string method,
            string format,
            params object[] args
        ) { }

        private static string Format(string format, object[] args)
        {
            try
            {
                return string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args);
            }
            catch (FormatException)
            {
                return format;
            }
        }
    }
}
