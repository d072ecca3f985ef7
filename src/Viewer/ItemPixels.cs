using System.Collections.Concurrent;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Viewer;

/// <summary>
/// The pixels behind an item's tiles. Images are decoded once and prepared as the model saw them (resized and padded
/// like its bag), kept in a small cache; slides are opened on demand, read through their own pyramid (the most
/// detailed level no finer than the tile needs), and closed after a minute without requests.
/// </summary>
internal sealed class ItemPixels : IDisposable
{
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<int, OpenSlide> _slides = new();
    private readonly Lru<int, RgbImage> _images = new(8);
    private readonly Timer _closer;

    public ItemPixels() => _closer = new Timer(_ => CloseIdle(), null, Idle, Idle);

    /// <summary>Slides open now.</summary>
    public int OpenSlides => _slides.Values.Count(o => o.Slide is not null);

    /// <summary>The tile's pixels: the level-0 rectangle scaled to <paramref name="width"/> × <paramref
    /// name="height"/>.</summary>
    public RgbImage Read(ViewItem item, (double X, double Y, double Width, double Height) region, int width, int height)
    {
        if (item.Kind == ModelInput.Slides)
        {
            var open = _slides.GetOrAdd(item.Id, _ => new OpenSlide());
            lock (open)
            {
                open.LastUsed = DateTime.UtcNow;
                var slide = open.Slide ??= SlideImage.Open(item.FilePath);
                int level = slide.BestLevel(region.Width / width);
                double d = slide.Levels[level].Downsample;
                var pixels = slide.ReadRegion(
                    level,
                    (int)Math.Floor(region.X / d),
                    (int)Math.Floor(region.Y / d),
                    Math.Max(1, (int)Math.Round(region.Width / d)),
                    Math.Max(1, (int)Math.Round(region.Height / d))
                );
                return pixels.Width == width && pixels.Height == height
                    ? pixels
                    : ImageResizer.Resize(pixels, width, height);
            }
        }
        var image = _images.GetOrAdd(item.Id, () => item.Scored.Prepare(RgbImageReader.Read(item.FilePath)));
        return Crop(image, region, width, height);
    }

    private static RgbImage Crop(RgbImage image, (double X, double Y, double Width, double Height) r, int w, int h)
    {
        int x0 = (int)Math.Floor(r.X),
            y0 = (int)Math.Floor(r.Y);
        int cw = Math.Max(1, Math.Min(image.Width - x0, (int)Math.Ceiling(r.Width))),
            ch = Math.Max(1, Math.Min(image.Height - y0, (int)Math.Ceiling(r.Height)));
        var pixels = new byte[cw * ch * 3];
        for (int y = 0; y < ch; y++)
            Array.Copy(image.Pixels, ((y0 + y) * image.Width + x0) * 3, pixels, y * cw * 3, cw * 3);
        var crop = new RgbImage(cw, ch, pixels);
        return cw == w && ch == h ? crop : ImageResizer.Resize(crop, w, h);
    }

    private void CloseIdle()
    {
        foreach (var open in _slides.Values)
            lock (open)
                if (open.Slide is not null && DateTime.UtcNow - open.LastUsed > Idle)
                {
                    open.Slide.Dispose();
                    open.Slide = null;
                }
    }

    public void Dispose()
    {
        _closer.Dispose();
        foreach (var open in _slides.Values)
            lock (open)
                open.Slide?.Dispose();
        _slides.Clear();
    }

    private sealed class OpenSlide
    {
        public SlideImage? Slide { get; set; }
        public DateTime LastUsed { get; set; } = DateTime.UtcNow;
    }
}

/// <summary>A small least-recently-used cache, safe across threads.</summary>
internal sealed class Lru<TKey, TValue>(int capacity)
    where TKey : notnull
{
    private readonly object _gate = new();
    private readonly LinkedList<(TKey Key, TValue Value)> _order = new();
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value)>> _index = [];

    public TValue GetOrAdd(TKey key, Func<TValue> create)
    {
        lock (_gate)
            if (_index.TryGetValue(key, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                return node.Value.Value;
            }
        var value = create();
        lock (_gate)
        {
            if (_index.TryGetValue(key, out var raced))
                return raced.Value.Value;
            _index[key] = _order.AddFirst((key, value));
            while (_index.Count > capacity && _order.Last is { } oldest)
            {
                _order.RemoveLast();
                _index.Remove(oldest.Value.Key);
            }
            return value;
        }
    }
}
