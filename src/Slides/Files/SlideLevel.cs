using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Persistence;

namespace Amil.MLNet.Slides;

/// <summary>One level of a slide's pyramid: its size in pixels, how much smaller than level 0 it is, and its tile
/// size in the file.</summary>
public sealed record SlideLevel(int Width, int Height, double Downsample, int TileWidth, int TileHeight)
{
    /// <summary>Whether the level is stored in strips rather than tiles; it is then read in bands of whole strips,
    /// <see cref="TileWidth"/> (the level's width) by <see cref="TileHeight"/> rows.</summary>
    public bool Stripped { get; init; }
}
