using Amil.MLNet.Maps.Metrics;
using Amil.MLNet.Slides;

namespace Amil.MLNet.Data.Synthetic;

/// <summary>
/// The plan of one slide of the hard synthetic set (synthetic-wsi-hard; docs/slides.md gives the design):
/// one or two pieces of lymph-node-like tissue; on tumour slides lesions in CAMELYON's size classes; on every slide,
/// tumour or not, the same draw of mimics; and the slide's own stain. Sizes are level-0 pixels at 0.5 µm/px.
/// </summary>
internal static class HardSlidePlan
{
    private const double PixelsPerMm = 2000;

    /// <summary>Diameter ranges (mm) the planner draws from, log-uniform; the measured class comes from the
    /// mask.</summary>
    public static (double Min, double Max) Diameter(LesionSize size) =>
        size switch
        {
            LesionSize.IsolatedTumourCells => (0.04, 0.17),
            LesionSize.Micro => (0.25, 1.8),
            _ => (2.2, 2.7),
        };

    public static SyntheticTissue Plan(int width, int height, bool tumour, int seed)
    {
        var random = new Random(seed);
        var sizes = tumour ? LesionSizes(random) : [];
        bool macro = sizes.Contains(LesionSize.Macro);
        var pieces = Pieces(width, height, macro ? 1 : 1 + random.Next(2), random);
        var foci = new List<Blob>();
        foreach (var size in sizes)
            if (Place(pieces, Diameter(size), random, size == LesionSize.Macro ? 0.2 : 0.65) is { } lesion)
                foci.Add(lesion);
        var stain = StainVariation.Draw(random);
        var look = CellLook.Tumour with
        {
            Cell = 13 + random.Next(4),
            Nucleus = (60 + 20 * random.NextDouble(), 32 + 16 * random.NextDouble(), 110 + 20 * random.NextDouble()),
        };
        return new SyntheticTissue(
            width,
            height,
            pieces,
            [.. foci],
            seed,
            Mimics(pieces, width, height, random),
            stain,
            look
        );
    }

    /// <summary>A tumour slide's lesions: a quarter have a macro-metastasis, every one at least one micro- or
    /// macro-metastasis (a node with isolated tumour cells only is pN0(i+), node-negative), half add one or two
    /// isolated tumour-cell clusters.</summary>
    private static List<LesionSize> LesionSizes(Random random)
    {
        var sizes = new List<LesionSize>();
        if (random.NextDouble() < 0.25)
            sizes.Add(LesionSize.Macro);
        int micro = sizes.Count == 0 ? 1 + random.Next(3) : random.Next(3);
        sizes.AddRange(Enumerable.Repeat(LesionSize.Micro, micro));
        if (random.NextDouble() < 0.5)
            sizes.AddRange(Enumerable.Repeat(LesionSize.IsolatedTumourCells, 1 + random.Next(2)));
        return sizes;
    }

    private static Blob[] Pieces(int width, int height, int count, Random random)
    {
        var pieces = new Blob[count];
        double share = width / (double)count;
        for (int i = 0; i < count; i++)
        {
            // One piece fills most of the slide (room for a macro-metastasis); two sit side by side.
            double rx = share * (count == 1 ? 0.4 + 0.04 * random.NextDouble() : 0.3 + 0.12 * random.NextDouble()),
                ry = height * (count == 1 ? 0.38 + 0.04 * random.NextDouble() : 0.28 + 0.1 * random.NextDouble());
            pieces[i] = new Blob(
                share * (i + 0.5),
                height * (0.47 + 0.06 * random.NextDouble()),
                rx,
                ry,
                random.NextDouble() * 6.28,
                0.05 + 0.06 * random.NextDouble()
            );
        }
        return pieces;
    }

    /// <summary>A blob of a diameter drawn from the range (mm) inside a piece, its centre within
    /// <paramref name="reach"/> of the piece's radius from the piece's centre; null when none fits in 200
    /// tries.</summary>
    private static Blob? Place(Blob[] pieces, (double Min, double Max) diameter, Random random, double reach)
    {
        double d = Math.Exp(Math.Log(diameter.Min) + random.NextDouble() * Math.Log(diameter.Max / diameter.Min));
        double r = d * PixelsPerMm / 2;
        for (int tries = 0; tries < 200; tries++)
        {
            var piece = pieces[random.Next(pieces.Length)];
            double angle = random.NextDouble() * 6.28,
                distance = Math.Sqrt(random.NextDouble()) * reach;
            double x = piece.X + Math.Cos(angle) * distance * piece.Rx,
                y = piece.Y + Math.Sin(angle) * distance * piece.Ry;
            if (!piece.Contains(x, y))
                continue;
            double aspect = 0.7 + 0.3 * random.NextDouble();
            bool wide = random.Next(2) == 0;
            return new Blob(x, y, wide ? r : r * aspect, wide ? r * aspect : r, random.NextDouble() * 6.28, 0.12);
        }
        return null;
    }

    /// <summary>Every slide's mimics, drawn alike for tumour and normal slides so that none tells the class.</summary>
    private static SlideMimics Mimics(Blob[] pieces, int width, int height, Random random)
    {
        Blob[] Some(int most, (double Min, double Max) mm, int least = 0) =>
            [
                .. Enumerable
                    .Range(0, least + random.Next(most - least + 1))
                    .Select(_ => Place(pieces, mm, random, 0.8))
                    .OfType<Blob>(),
            ];
        var lymphoid = Some(4, (0.15, 0.8), least: 1);
        var germinal = Some(2, (0.3, 0.7));
        var atypical = Some(2, (0.2, 0.6));
        var blurred = random.NextDouble() < 0.4 ? Some(1, (0.3, 0.9), least: 1) : [];
        var blotches = random.NextDouble() < 0.4 ? Some(1, (0.2, 0.6), least: 1) : [];
        var folds =
            random.NextDouble() < 0.35 ? [Band(pieces[random.Next(pieces.Length)], random)] : Array.Empty<Stroke>();
        var pens = random.NextDouble() < 0.3 ? Pen(width, height, random) : [];
        return new SlideMimics(lymphoid, germinal, atypical, blurred, blotches, folds, pens);
    }

    /// <summary>A fold: a dark band 30–100 µm wide across a piece.</summary>
    private static Stroke Band(Blob piece, Random random)
    {
        double angle = random.NextDouble() * Math.PI,
            half = piece.Rx * (0.5 + 0.5 * random.NextDouble());
        double cx = piece.X + (random.NextDouble() - 0.5) * piece.Rx,
            cy = piece.Y + (random.NextDouble() - 0.5) * piece.Ry;
        return new Stroke(
            cx - Math.Cos(angle) * half,
            cy - Math.Sin(angle) * half,
            cx + Math.Cos(angle) * half,
            cy + Math.Sin(angle) * half,
            (30 + 70 * random.NextDouble()) * PixelsPerMm / 2000,
            (1, 1, 1)
        );
    }

    /// <summary>A pen mark: a stroke of green, blue or black ink in three segments, on glass and tissue.</summary>
    private static Stroke[] Pen(int width, int height, Random random)
    {
        Rgb[] inks = [(0.45, 0.8, 0.55), (0.4, 0.5, 0.95), (0.3, 0.3, 0.32)];
        var ink = inks[random.Next(inks.Length)];
        double half = 100 + 150 * random.NextDouble(); // 0.2–0.5 mm wide
        double x = width * (0.1 + 0.8 * random.NextDouble()),
            y = height * (0.05 + 0.2 * random.NextDouble());
        var strokes = new Stroke[3];
        for (int i = 0; i < strokes.Length; i++)
        {
            double nx = Math.Clamp(x + (random.NextDouble() - 0.5) * width * 0.3, 0, width),
                ny = Math.Clamp(y + height * (0.05 + 0.15 * random.NextDouble()), 0, height);
            strokes[i] = new Stroke(x, y, nx, ny, half, ink);
            (x, y) = (nx, ny);
        }
        return strokes;
    }
}
