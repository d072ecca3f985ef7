using System.Runtime.InteropServices;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Persistence;

namespace Amil.MLNet.Slides;

/// <summary>
/// A slide opened through the OpenSlide C library (NDPI, MRXS, SCN, VMS, BIF, SVS with JPEG 2000 …), bound at run
/// time: nothing is needed unless such a slide is opened, and then the system library (<c>apt-get install
/// libopenslide0</c>) is found by name. Regions come back as RGB on white, as <see cref="SlideImage"/> gives them.
/// </summary>
internal sealed class OpenSlideFile : IDisposable
{
    /// <summary>The library names tried, in order (OpenSlide 3.4 and 4.x keep these functions).</summary>
    internal static string[] LibraryNames = ["libopenslide.so.0", "libopenslide.so.1", "libopenslide.dylib"];

    private static readonly Lock Gate = new();
    private static (string[] Names, Api? Api)? _loaded;

    private static Api? Library
    {
        get
        {
            lock (Gate)
            {
                if (_loaded is not { } loaded || loaded.Names != LibraryNames)
                    _loaded = loaded = (LibraryNames, Api.Load(LibraryNames));
                return loaded.Api;
            }
        }
    }
    private readonly Api _api;
    private nint _handle;

    private OpenSlideFile(Api api, nint handle, string path)
    {
        _api = api;
        _handle = handle;
        FilePath = path;
    }

    public string FilePath { get; }

    /// <summary>Whether the OpenSlide library can be loaded on this machine.</summary>
    public static bool IsAvailable => Library is not null;

    public static OpenSlideFile Open(string path)
    {
        var api =
            Library
            ?? throw new ImageReadException(
                path,
                $"{Path.GetExtension(path)} slides are read through OpenSlide, which is not installed here: install it "
                    + "(Debian/Ubuntu: apt-get install libopenslide0) and run again, or convert the slide to a tiled "
                    + "pyramidal TIFF (vips tiffsave in.ndpi out.tif --tile --pyramid --compression jpeg)."
            );
        nint handle = api.Open(path);
        if (handle == 0)
            throw new ImageReadException(path, "OpenSlide does not recognise this file as a slide.");
        var slide = new OpenSlideFile(api, handle, path);
        if (slide.Error() is { } error)
        {
            slide.Dispose();
            throw new ImageReadException(path, $"OpenSlide cannot read it ({error}); the file may be corrupt.");
        }
        return slide;
    }

    /// <summary>Levels from the largest down, with OpenSlide's tile size hint (256 when it gives none).</summary>
    public List<SlideLevel> Levels()
    {
        int count = _api.LevelCount(_handle);
        var levels = new List<SlideLevel>();
        for (int level = 0; level < count; level++)
        {
            _api.LevelDimensions(_handle, level, out long width, out long height);
            int Tile(string axis) =>
                int.TryParse(Property($"openslide.level[{level}].tile-{axis}"), out int v) && v > 0 ? v : 256;
            levels.Add(
                new SlideLevel(
                    checked((int)width),
                    checked((int)height),
                    _api.LevelDownsample(_handle, level),
                    Tile("width"),
                    Tile("height")
                )
            );
        }
        return levels;
    }

    public string? Property(string name) => Marshal.PtrToStringUTF8(_api.PropertyValue(_handle, name));

    /// <summary>Pixels of a rectangle of one level (x, y in that level's pixels), composited on white.</summary>
    public RgbImage ReadRegion(int level, double downsample, int x, int y, int width, int height)
    {
        var argb = new uint[checked(width * height)];
        // OpenSlide places regions by their level-0 corner.
        _api.ReadRegion(
            _handle,
            argb,
            (long)Math.Round(x * downsample),
            (long)Math.Round(y * downsample),
            level,
            width,
            height
        );
        if (Error() is { } error)
            throw new ImageReadException(FilePath, $"OpenSlide could not read a region ({error}).");
        var pixels = new byte[argb.Length * 3];
        for (int i = 0; i < argb.Length; i++)
        {
            // Premultiplied ARGB over white: c + (255 − a).
            uint p = argb[i];
            int white = 255 - (int)(p >> 24);
            pixels[3 * i] = (byte)(((p >> 16) & 255) + white);
            pixels[3 * i + 1] = (byte)(((p >> 8) & 255) + white);
            pixels[3 * i + 2] = (byte)((p & 255) + white);
        }
        return new RgbImage(width, height, pixels);
    }

    private string? Error() => Marshal.PtrToStringUTF8(_api.GetError(_handle));

    public void Dispose()
    {
        if (_handle != 0)
            _api.Close(_handle);
        _handle = 0;
    }

    /// <summary>The C functions used, resolved once from the first library name that loads.</summary>
    private sealed class Api
    {
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate nint OpenFn([MarshalAs(UnmanagedType.LPUTF8Str)] string path);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate nint HandleToPointerFn(nint osr);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate int LevelCountFn(nint osr);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void LevelDimensionsFn(nint osr, int level, out long width, out long height);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate double LevelDownsampleFn(nint osr, int level);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void ReadRegionFn(nint osr, uint[] dest, long x, long y, int level, long width, long height);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate nint PropertyValueFn(nint osr, [MarshalAs(UnmanagedType.LPUTF8Str)] string name);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void CloseFn(nint osr);

        public required OpenFn Open { get; init; }
        public required HandleToPointerFn GetError { get; init; }
        public required LevelCountFn LevelCount { get; init; }
        public required LevelDimensionsFn LevelDimensions { get; init; }
        public required LevelDownsampleFn LevelDownsample { get; init; }
        public required ReadRegionFn ReadRegion { get; init; }
        public required PropertyValueFn PropertyValue { get; init; }
        public required CloseFn Close { get; init; }

        public static Api? Load(IEnumerable<string> names)
        {
            foreach (var name in names)
                if (NativeLibrary.TryLoad(name, out var library))
                {
                    T Function<T>(string export) =>
                        Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(library, export));
                    return new Api
                    {
                        Open = Function<OpenFn>("openslide_open"),
                        GetError = Function<HandleToPointerFn>("openslide_get_error"),
                        LevelCount = Function<LevelCountFn>("openslide_get_level_count"),
                        LevelDimensions = Function<LevelDimensionsFn>("openslide_get_level_dimensions"),
                        LevelDownsample = Function<LevelDownsampleFn>("openslide_get_level_downsample"),
                        ReadRegion = Function<ReadRegionFn>("openslide_read_region"),
                        PropertyValue = Function<PropertyValueFn>("openslide_get_property_value"),
                        Close = Function<CloseFn>("openslide_close"),
                    };
                }
            return null;
        }
    }
}
