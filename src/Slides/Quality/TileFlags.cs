namespace Amil.MLNet.Slides;

/// <summary>What quality control found in a tile (several may hold).</summary>
[Flags]
public enum TileFlags
{
    /// <summary>Nothing: a usable tile.</summary>
    None = 0,

    /// <summary>Out of focus: far less detail than the slide's typical tile.</summary>
    Blur = 1,

    /// <summary>Pen ink (green, blue or black marker) over a share of the tile.</summary>
    Pen = 2,

    /// <summary>A fold (tissue lying on itself): far darker than the slide's typical tissue.</summary>
    Fold = 4,

    /// <summary>Mostly glass at the tile's own resolution.</summary>
    Background = 8,
}
