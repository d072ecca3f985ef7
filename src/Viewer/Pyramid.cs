namespace Amil.MLNet.Viewer;

/// <summary>Deep Zoom geometry of one item: level L is the image scaled by 2^(L − <see cref="MaxLevel"/>), cut into
/// <see cref="TileSize"/> px tiles without overlap. Every tile request is checked against it.</summary>
internal readonly record struct Pyramid(int Width, int Height)
{
    public const int TileSize = 256;

    /// <summary>The level at which the image has its own size.</summary>
    public int MaxLevel => (int)Math.Ceiling(Math.Log2(Math.Max(Width, Height)));

    /// <summary>Level-0 pixels per pixel of <paramref name="level"/>.</summary>
    public double Scale(int level) => Math.Pow(2, MaxLevel - level);

    public (int Width, int Height) LevelSize(int level) =>
        (Math.Max(1, (int)Math.Ceiling(Width / Scale(level))), Math.Max(1, (int)Math.Ceiling(Height / Scale(level))));

    /// <summary>Whether the tile exists.</summary>
    public bool Has(int level, int column, int row)
    {
        if (level < 0 || level > MaxLevel || column < 0 || row < 0)
            return false;
        var (w, h) = LevelSize(level);
        return column * TileSize < w && row * TileSize < h;
    }

    /// <summary>The tile's size in pixels of its level (edge tiles are smaller).</summary>
    public (int Width, int Height) TilePixels(int level, int column, int row)
    {
        var (w, h) = LevelSize(level);
        return (Math.Min(TileSize, w - column * TileSize), Math.Min(TileSize, h - row * TileSize));
    }

    /// <summary>The tile's rectangle in level-0 pixels.</summary>
    public (double X, double Y, double Width, double Height) Region(int level, int column, int row)
    {
        double s = Scale(level);
        var (w, h) = TilePixels(level, column, row);
        return (column * TileSize * s, row * TileSize * s, w * s, h * s);
    }

    /// <summary>The Deep Zoom descriptor.</summary>
    public string Descriptor(string format) =>
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        + $"<Image xmlns=\"http://schemas.microsoft.com/deepzoom/2008\" TileSize=\"{TileSize}\" Overlap=\"0\" "
        + $"Format=\"{format}\"><Size Width=\"{Width}\" Height=\"{Height}\"/></Image>\n";
}
