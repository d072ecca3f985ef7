using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Tests;

/// <summary>A slide drawn for tests: <paramref name="Columns"/> × <paramref name="Rows"/> tiles of tissue (224 px at
/// 0.5 µm/px, pink stroma with violet nuclei on a 16 px grid) inside a border of glass <paramref name="Border"/>
/// tiles wide, as slides are mostly glass. <paramref name="Recolour"/> changes the colour a tissue column would have
/// (column, colour, is nucleus → colour).</summary>
internal sealed record GridSlide(
    int Columns,
    int Rows,
    int Border,
    Func<int, (double R, double G, double B), bool, (double R, double G, double B)>? Recolour = null
)
{
    public const int Tile = 224;

    /// <summary>Writes the slide as a two-level pyramidal TIFF at <paramref name="path"/>.</summary>
    public string Write(string path)
    {
        PyramidalTiff.Write(
            path,
            (Columns + 2 * Border) * Tile,
            (Rows + 2 * Border) * Tile,
            Render,
            new PyramidSettings { Levels = 2, MicronsPerPixel = 0.5 }
        );
        return path;
    }

    /// <summary>The pixels of a region (in level-0 pixels / <paramref name="downsample"/>).</summary>
    public RgbImage Render(int downsample, int x0, int y0, int width, int height)
    {
        var pixels = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            int lx = (x0 + x) * downsample,
                ly = (y0 + y) * downsample;
            int column = lx / Tile - Border,
                row = ly / Tile - Border;
            int o = (y * width + x) * 3;
            if (column is < 0 || column >= Columns || row is < 0 || row >= Rows)
            {
                (pixels[o], pixels[o + 1], pixels[o + 2]) = (242, 240, 242);
                continue;
            }
            bool nucleus = (lx % 16 - 8) * (lx % 16 - 8) + (ly % 16 - 8) * (ly % 16 - 8) < 16;
            (double R, double G, double B) colour = nucleus ? (80, 50, 140) : (232, 168, 204);
            var (r, g, b) = Recolour?.Invoke(column, colour, nucleus) ?? colour;
            (pixels[o], pixels[o + 1], pixels[o + 2]) = ((byte)r, (byte)g, (byte)b);
        }
        return new RgbImage(width, height, pixels);
    }
}
