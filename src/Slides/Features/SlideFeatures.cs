using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Persistence;

namespace Amil.MLNet.Slides;

/// <summary>Where slides' tile features are cached. Encoding a slide's tiles takes minutes, so TileSlides keeps each
/// slide's features in one file per slide and settings (<see cref="SlideFeatureCache"/>), and a slide scored or trained
/// on again reads them back in milliseconds.</summary>
public static class SlideFeatures
{
    private static readonly AsyncLocal<string?> Folder = new();
    private static readonly AsyncLocal<Action<SlideEncoding>?> Listener = new();

    /// <summary>The default cache folder: <c>.cache/features</c> under the working folder.</summary>
    public static string DefaultCacheFolder => Path.GetFullPath(Path.Combine(".cache", "features"));

    /// <summary>The cache folder TileSlides reads and writes, for the code that sets it and what it calls (an async
    /// local: parallel work of other callers keeps its own). Set it before fitting or scoring; null restores <see
    /// cref="DefaultCacheFolder"/>. Models do not store it, so a model moves between machines unchanged.
    /// AmilModel.Score reads slides on the calling thread; a TileSlides pipeline read with ML.NET's own cursors may
    /// run on worker threads started for an earlier caller, so read it with one cursor
    /// (<c>GetRowCursorSet(columns, 1)</c>).</summary>
    [System.Diagnostics.CodeAnalysis.AllowNull]
    public static string CacheFolder
    {
        get => Folder.Value ?? DefaultCacheFolder;
        set => Folder.Value = value is null ? null : Path.GetFullPath(value);
    }

    /// <summary>Sets <see cref="CacheFolder"/> for the calling flow until the result is disposed, then restores what
    /// it was: how a model that carries its own cache folder (AmilModel.FeatureCache) reads each slide.</summary>
    public static IDisposable Use(string folder)
    {
        var previous = Folder.Value;
        Folder.Value = Path.GetFullPath(folder);
        return new Restore(() => Folder.Value = previous);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    /// <summary>Called, for the code that sets it and what it calls, each time TileSlides takes a slide's features:
    /// from the cache, or encoded (with the time it took) — TileSlides cannot log, so this is how a caller shows
    /// progress. It may be called from several threads at once. Default none.</summary>
    public static Action<SlideEncoding>? OnSlide
    {
        get => Listener.Value;
        set => Listener.Value = value;
    }
}
