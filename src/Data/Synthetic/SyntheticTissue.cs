using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Data.Synthetic;

/// <summary>
/// The procedural tissue of one synthetic slide: pieces of tissue (wobbly ellipses) of pink stroma with small
/// nuclei on a jittered grid, and tumour foci (ellipses) of larger, darker, crowded nuclei; on hard slides also
/// mimics and the slide's own stain (<see cref="HardSlidePlan"/>). Any pixel of any level is computed on its own, so
/// slides are rendered tile by tile.
/// </summary>
internal sealed class SyntheticTissue
{
    private readonly Blob[] _pieces;
    private readonly Blob[] _foci;
    private readonly int _width,
        _height,
        _seed;
    private readonly SlideMimics _mimics;
    private readonly StainVariation? _stain;
    private readonly CellLook _tumour;

    internal SyntheticTissue(
        int width,
        int height,
        Blob[] pieces,
        Blob[] foci,
        int seed,
        SlideMimics? mimics = null,
        StainVariation? stain = null,
        CellLook? tumour = null
    )
    {
        (_width, _height, _pieces, _foci, _seed) = (width, height, pieces, foci, seed);
        (_mimics, _stain, _tumour) = (mimics ?? SlideMimics.None, stain, tumour ?? CellLook.Tumour);
    }

    /// <summary>How many mimics the slide has (none in the basic set).</summary>
    public int MimicCount => _mimics.Count;

    public IReadOnlyList<(double X, double Y, double Rx, double Ry)> Foci =>
        _foci.Select(f => (f.X, f.Y, f.Rx, f.Ry)).ToList();

    public static SyntheticTissue Plan(int width, int height, bool tumour, int seed)
    {
        var random = new Random(seed);
        int pieceCount = 1 + random.Next(3);
        var pieces = new Blob[pieceCount];
        for (int i = 0; i < pieceCount; i++)
        {
            // Pieces side by side across the slide, each filling most of its share.
            double share = width / (double)pieceCount;
            double rx = share * (0.25 + 0.15 * random.NextDouble()),
                ry = height * (0.25 + 0.15 * random.NextDouble());
            pieces[i] = new Blob(
                share * (i + 0.5),
                height * (0.45 + 0.1 * random.NextDouble()),
                rx,
                ry,
                random.NextDouble() * 6.28,
                0.08 + 0.08 * random.NextDouble()
            );
        }
        var foci = new List<Blob>();
        int fociCount = tumour ? 1 + random.Next(4) : 0;
        for (int tries = 0; foci.Count < fociCount && tries < 1000; tries++)
        {
            // 50 µm to 0.6 mm across at 0.5 µm/px, log-uniform, scaled down on small test slides.
            double diameter =
                Math.Exp(Math.Log(100) + random.NextDouble() * Math.Log(12)) * Math.Min(1, width / 8192.0);
            var piece = pieces[random.Next(pieceCount)];
            double angle = random.NextDouble() * 6.28,
                distance = Math.Sqrt(random.NextDouble()) * 0.6;
            double x = piece.X + Math.Cos(angle) * distance * piece.Rx,
                y = piece.Y + Math.Sin(angle) * distance * piece.Ry;
            double rx = diameter / 2 * (0.8 + 0.4 * random.NextDouble()),
                ry = diameter / 2 * (0.8 + 0.4 * random.NextDouble());
            if (Inside(piece, x, y))
                foci.Add(new Blob(x, y, rx, ry, random.NextDouble() * 6.28, 0.1));
        }
        return new SyntheticTissue(width, height, pieces, [.. foci], seed);
    }

    /// <summary>The same tissue with round lesions of these diameters (level-0 pixels) instead of its own, each
    /// centred inside a piece of tissue.</summary>
    internal SyntheticTissue WithLesions(IReadOnlyList<double> diameters, int seed)
    {
        var random = new Random(seed);
        var foci = new List<Blob>();
        foreach (double diameter in diameters)
            for (int tries = 0; tries < 200; tries++)
            {
                var piece = _pieces[random.Next(_pieces.Length)];
                double angle = random.NextDouble() * 6.28,
                    distance = Math.Sqrt(random.NextDouble()) * 0.5;
                double x = piece.X + Math.Cos(angle) * distance * piece.Rx,
                    y = piece.Y + Math.Sin(angle) * distance * piece.Ry;
                if (!Inside(piece, x, y))
                    continue;
                foci.Add(new Blob(x, y, diameter / 2, diameter / 2, 0, 0));
                break;
            }
        return new SyntheticTissue(_width, _height, _pieces, [.. foci], _seed, _mimics, _stain, _tumour);
    }

    /// <summary>The same tissue as another site stains and scans it (<see cref="StainVariation.At"/>).</summary>
    internal SyntheticTissue AtSite((double Red, double Green, double Blue) site) =>
        new(_width, _height, _pieces, _foci, _seed, _mimics, (_stain ?? new StainVariation(1, 1, 1)).At(site), _tumour);

    private static bool Inside(Blob b, double x, double y) => b.Contains(x, y);

    private bool InTissue(double x, double y) => _pieces.Any(p => Inside(p, x, y));

    /// <summary>The artefacts drawn at a level-0 point, glass as Background (ground truth for quality
    /// control).</summary>
    internal Slides.TileFlags ArtefactsAt(double x, double y)
    {
        bool tissue = InTissue(x, y);
        return _mimics.ArtefactsAt(x, y, tissue) | (tissue ? Slides.TileFlags.None : Slides.TileFlags.Background);
    }

    private bool InTumour(double x, double y) => _foci.Any(f => f.Near(x, y) && Inside(f, x, y));

    /// <summary>The pixels of a region of the level with this downsample (the renderer of <see
    /// cref="Slides.PyramidalTiff.Write"/>).</summary>
    public RgbImage Render(int downsample, int x, int y, int width, int height)
    {
        var pixels = new byte[width * height * 3];
        // Below level 0 each pixel averages a few samples, as a scanner's lower levels do.
        int samples = downsample == 1 ? 1 : 2;
        for (int py = 0; py < height; py++)
        for (int px = 0; px < width; px++)
        {
            double r = 0,
                g = 0,
                b = 0;
            for (int sy = 0; sy < samples; sy++)
            for (int sx = 0; sx < samples; sx++)
            {
                double X = (x + px + (sx + 0.5) / samples) * downsample,
                    Y = (y + py + (sy + 0.5) / samples) * downsample;
                var (cr, cg, cb) = Colour(X, Y, downsample);
                (r, g, b) = (r + cr, g + cg, b + cb);
            }
            int n = samples * samples,
                o = (py * width + px) * 3;
            pixels[o] = (byte)Math.Clamp(r / n, 0, 255);
            pixels[o + 1] = (byte)Math.Clamp(g / n, 0, 255);
            pixels[o + 2] = (byte)Math.Clamp(b / n, 0, 255);
        }
        if (_stain is { } stain)
            for (int i = 0; i < pixels.Length; i++)
                pixels[i] = stain.Apply(i % 3, pixels[i]);
        return new RgbImage(width, height, pixels);
    }

    /// <summary>Colour at a level-0 point; at coarse levels (and where out of focus) nuclei blend into the average
    /// colour of their tissue.</summary>
    private (double R, double G, double B) Colour(double x, double y, int downsample)
    {
        var colour = Base(x, y, downsample, out bool tissue);
        if (_mimics.IsEmpty)
            return colour;
        var c = _mimics.Overlay(x, y, colour, tissue);
        return (c.R, c.G, c.B);
    }

    private (double R, double G, double B) Base(double x, double y, int downsample, out bool tissue)
    {
        double grain = Hash((int)(x / 4), (int)(y / 4), 5) * 10 - 5;
        tissue = InTissue(x, y);
        if (!tissue)
            return (240 + grain / 2, 238 + grain / 2, 240 + grain / 2); // glass
        var look = InTumour(x, y) ? _tumour : _mimics.LookAt(x, y) ?? CellLook.Normal;
        (double R, double G, double B) stroma = (232 + grain, 168 + grain, 204 + grain),
            nucleus = look.Nucleus;
        int cell = look.Cell;
        if (downsample >= 4 || (!_mimics.IsEmpty && _mimics.Blurred(x, y)))
            return Mix(stroma, nucleus, look.Coverage);
        int cx = (int)Math.Floor(x / cell),
            cy = (int)Math.Floor(y / cell);
        for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++)
        {
            int gx = cx + dx,
                gy = cy + dy;
            double nx = (gx + 0.2 + 0.6 * Hash(gx, gy, 1)) * cell,
                ny = (gy + 0.2 + 0.6 * Hash(gx, gy, 2)) * cell,
                radius = cell * (look.Radius + look.RadiusSpread * Hash(gx, gy, 3));
            if ((x - nx) * (x - nx) + (y - ny) * (y - ny) <= radius * radius)
                return (nucleus.Item1 + grain, nucleus.Item2 + grain, nucleus.Item3 + grain);
        }
        return stroma;
    }

    private static (double, double, double) Mix((double, double, double) a, (double, double, double) b, double t) =>
        (a.Item1 + (b.Item1 - a.Item1) * t, a.Item2 + (b.Item2 - a.Item2) * t, a.Item3 + (b.Item3 - a.Item3) * t);

    /// <summary>A value in [0, 1) fixed by the grid cell, the channel and the slide's seed.</summary>
    private double Hash(int x, int y, int channel)
    {
        uint h = (uint)(x * 73856093) ^ (uint)(y * 19349663) ^ (uint)(channel * 83492791) ^ (uint)_seed;
        h ^= h >> 16;
        h *= 0x7feb352d;
        h ^= h >> 15;
        h *= 0x846ca68b;
        h ^= h >> 16;
        return h / 4294967296.0;
    }

    /// <summary>The tumour mask at a downsample (255 = tumour), by the pixel centre.</summary>
    public RgbImage Mask(int downsample)
    {
        int width = Math.Max(1, _width / downsample),
            height = Math.Max(1, _height / downsample);
        var pixels = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            if (
                InTissue((x + 0.5) * downsample, (y + 0.5) * downsample)
                && InTumour((x + 0.5) * downsample, (y + 0.5) * downsample)
            )
                pixels.AsSpan((y * width + x) * 3, 3).Fill(255);
        return new RgbImage(width, height, pixels);
    }
}
