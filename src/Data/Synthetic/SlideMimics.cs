namespace Amil.MLNet.Data.Synthetic;

/// <summary>A straight band across a slide (level-0 pixels): a fold or a pen stroke, and the colour it multiplies
/// what lies under it by.</summary>
internal readonly record struct Stroke(double X0, double Y0, double X1, double Y1, double HalfWidth, Rgb Tint)
{
    public bool Contains(double x, double y)
    {
        double vx = X1 - X0,
            vy = Y1 - Y0;
        double t = Math.Clamp(((x - X0) * vx + (y - Y0) * vy) / (vx * vx + vy * vy), 0, 1);
        double dx = x - (X0 + t * vx),
            dy = y - (Y0 + t * vy);
        return dx * dx + dy * dy <= HalfWidth * HalfWidth;
    }
}

/// <summary>An RGB colour as doubles (0–255), or a per-channel factor.</summary>
internal readonly record struct Rgb(double R, double G, double B)
{
    public Rgb Times(Rgb f) => new(R * f.R, G * f.G, B * f.B);

    public static implicit operator Rgb((double R, double G, double B) c) => new(c.R, c.G, c.B);
}

/// <summary>
/// What makes a slide hard to read without being tumour (see <see cref="HardSlidePlan"/>): lymphoid aggregates and
/// germinal centres (dense dark nuclei, like tumour at low power), large atypical but benign cells, out-of-focus
/// regions, folds, pen marks and stain blotches. Mimics are never in the tumour mask.
/// </summary>
internal sealed class SlideMimics(
    Blob[] lymphoid,
    Blob[] germinal,
    Blob[] atypical,
    Blob[] blurred,
    Blob[] blotches,
    Stroke[] folds,
    Stroke[] pens
)
{
    /// <summary>A slide without mimics (the basic synthetic set).</summary>
    public static readonly SlideMimics None = new([], [], [], [], [], [], []);

    private static readonly Rgb FoldTint = (0.8, 0.7, 0.85),
        BlotchTint = (0.82, 0.78, 0.96);

    public bool IsEmpty => Count == 0;

    public int Count =>
        lymphoid.Length
        + germinal.Length
        + atypical.Length
        + blurred.Length
        + blotches.Length
        + folds.Length
        + pens.Length;

    /// <summary>The nuclei of a mimic at this point, or null where there is none.</summary>
    public CellLook? LookAt(double x, double y)
    {
        foreach (var g in germinal)
            if (g.Near(x, y) && g.Contains(x, y))
                return (g with { Rx = g.Rx * 0.6, Ry = g.Ry * 0.6 }).Contains(x, y)
                    ? CellLook.GerminalCentre
                    : CellLook.Lymphocytes; // the mantle around the centre
        foreach (var l in lymphoid)
            if (l.Near(x, y) && l.Contains(x, y))
                return CellLook.Lymphocytes;
        foreach (var a in atypical)
            if (a.Near(x, y) && a.Contains(x, y))
                return CellLook.Atypical;
        return null;
    }

    /// <summary>The artefacts at a point, as quality control names them: pen ink (on tissue or glass), a fold and
    /// blur (on tissue).</summary>
    public Slides.TileFlags ArtefactsAt(double x, double y, bool tissue) =>
        (pens.Any(p => p.Contains(x, y)) ? Slides.TileFlags.Pen : Slides.TileFlags.None)
        | (tissue && folds.Any(f => f.Contains(x, y)) ? Slides.TileFlags.Fold : Slides.TileFlags.None)
        | (tissue && Blurred(x, y) ? Slides.TileFlags.Blur : Slides.TileFlags.None);

    /// <summary>Whether the point is out of focus (nuclei blend into their tissue's average colour).</summary>
    public bool Blurred(double x, double y) => blurred.Any(b => b.Near(x, y) && b.Contains(x, y));

    /// <summary>Folds and blotches darken tissue; pen ink tints tissue and glass alike.</summary>
    public Rgb Overlay(double x, double y, Rgb colour, bool tissue)
    {
        if (tissue)
        {
            foreach (var f in folds)
                if (f.Contains(x, y))
                    colour = colour.Times(FoldTint);
            foreach (var b in blotches)
                if (b.Near(x, y) && b.Contains(x, y))
                    colour = colour.Times(BlotchTint);
        }
        foreach (var p in pens)
            if (p.Contains(x, y))
                colour = colour.Times(p.Tint);
        return colour;
    }
}
