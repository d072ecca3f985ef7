using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Persistence;

namespace Amil.MLNet.Slides;

/// <summary>The tissue map's thumbnail with the tissue's outline (green) and every kept tile's outline (blue), for
/// checking detection and tiling by eye.</summary>
public static class TilingPreview
{
    /// <summary>The tissue map's thumbnail with the planned tiles outlined.</summary>
    public static RgbImage Render(TissueMap tissue, IReadOnlyList<SlideTile> tiles) => Render(tissue, tiles, null);

    /// <summary>The same, tiles that quality control flags outlined in red (<paramref name="flags"/>: one per
    /// tile).</summary>
    public static RgbImage Render(TissueMap tissue, IReadOnlyList<SlideTile> tiles, IReadOnlyList<TileFlags>? flags)
    {
        int width = tissue.Width,
            height = tissue.Height;
        var pixels = (byte[])tissue.Thumbnail.Pixels.Clone();
        void Paint(int x, int y, byte r, byte g, byte b)
        {
            if (x < 0 || y < 0 || x >= width || y >= height)
                return;
            int o = (y * width + x) * 3;
            (pixels[o], pixels[o + 1], pixels[o + 2]) = (r, g, b);
        }
        for (int k = 0; k < tiles.Count; k++)
        {
            var tile = tiles[k];
            var (r, g, b) =
                flags is not null && flags[k] != TileFlags.None
                    ? ((byte)230, (byte)40, (byte)40)
                    : ((byte)40, (byte)90, (byte)230);
            int x0 = (int)(tile.X / tissue.Downsample),
                y0 = (int)(tile.Y / tissue.Downsample),
                x1 = (int)((tile.X + tile.Side) / tissue.Downsample),
                y1 = (int)((tile.Y + tile.Side) / tissue.Downsample);
            for (int x = x0; x <= x1; x++)
            {
                Paint(x, y0, r, g, b);
                Paint(x, y1, r, g, b);
            }
            for (int y = y0; y <= y1; y++)
            {
                Paint(x0, y, r, g, b);
                Paint(x1, y, r, g, b);
            }
        }
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            int i = y * width + x;
            bool edge =
                tissue.Tissue[i]
                && (
                    x == 0
                    || y == 0
                    || x == width - 1
                    || y == height - 1
                    || !tissue.Tissue[i - 1]
                    || !tissue.Tissue[i + 1]
                    || !tissue.Tissue[i - width]
                    || !tissue.Tissue[i + width]
                );
            if (edge)
                Paint(x, y, 20, 200, 60);
        }
        return new RgbImage(width, height, pixels);
    }
}
