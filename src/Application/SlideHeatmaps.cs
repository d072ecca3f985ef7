using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Maps.Heatmaps;
using Amil.MLNet.Slides;
using Amil.MLNet.Trainers;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Application;

/// <summary>Maps people open, per slide: <c>ID.png</c>, the tissue thumbnail with its tiles coloured by the map, and
/// <c>ID.geojson</c>, the tiles as QuPath objects with the map values as measurements.</summary>
public static class SlideHeatmaps
{
    /// <summary>A scored slide with what drawing and measuring need: its level-0 size and scale (µm per pixel, when
    /// the file says) and its tissue thumbnail.</summary>
    public sealed record Slide(ScoredImage Scored, int Width, int Height, RgbImage Thumbnail)
    {
        public double? MicronsPerPixel { get; init; }

        public static Slide Open(ScoredImage scored)
        {
            using var image = SlideImage.Open(scored.Path);
            return new Slide(scored, image.Width, image.Height, TissueMap.Detect(image).Thumbnail)
            {
                MicronsPerPixel = image.Properties.MicronsPerPixel,
            };
        }
    }

    /// <summary>The model's map as the evidence counts it: attention as N·a (1 = a uniform share, so slides with
    /// different numbers of tiles compare), contributions and instance scores as they are.</summary>
    public static float[] Relative(ScoredImage s) => TumourEvidence.Relative(s, s.Map);

    /// <param name="open">Each slide's size and thumbnail, taken one slide at a time (a folder of slides never has
    /// every thumbnail in memory at once).</param>
    /// <param name="shown">The values the PNG colours (one colour scale over all <paramref name="scored"/> slides,
    /// so a tumour-free slide stays cool).</param>
    /// <param name="measurements">The GeoJSON's measurements per tile.</param>
    public static void Write(
        IReadOnlyList<ScoredImage> scored,
        Func<ScoredImage, Slide> open,
        Func<ScoredImage, float[]> shown,
        Func<ScoredImage, IReadOnlyList<(string Name, float[] Values)>> measurements,
        string folder
    )
    {
        if (scored.Count == 0)
            return;
        Runs.OutputFolder.Create(folder);
        var values = scored.Select(shown).ToList();
        float top = Math.Max(1e-6f, values.Max(v => v.DefaultIfEmpty(0).Max()));
        foreach (var (s, v) in scored.Zip(values))
        {
            var t = open(s);
            var thumbnail = t.Thumbnail;
            var pixels = (byte[])thumbnail.Pixels.Clone();
            double scale = thumbnail.Width / (double)t.Width;
            int side = t.Scored.Layout.PatchSize;
            for (int k = 0; k < v.Length; k++)
            {
                var (r, g, b) = Colormap.Jet[v[k] / top];
                int x0 = (int)(t.Scored.Coordinates[2 * k] * scale),
                    y0 = (int)(t.Scored.Coordinates[2 * k + 1] * scale),
                    x1 = (int)((t.Scored.Coordinates[2 * k] + side) * scale),
                    y1 = (int)((t.Scored.Coordinates[2 * k + 1] + side) * scale);
                for (int y = y0; y < Math.Min(y1, thumbnail.Height); y++)
                for (int x = x0; x < Math.Min(x1, thumbnail.Width); x++)
                {
                    int o = (y * thumbnail.Width + x) * 3;
                    pixels[o] = (byte)((pixels[o] + r) / 2);
                    pixels[o + 1] = (byte)((pixels[o + 1] + g) / 2);
                    pixels[o + 2] = (byte)((pixels[o + 2] + b) / 2);
                }
            }
            string id = SlideLayout.SlideId(t.Scored.Path);
            RgbImageWriter.WritePng(
                Path.Combine(folder, id + ".png"),
                new RgbImage(thumbnail.Width, thumbnail.Height, pixels)
            );
            var geojson = QuPathTiles.Build(
                t.Scored.Coordinates,
                side,
                measurements(t.Scored),
                null,
                t.Width,
                t.Height
            );
            AtomicFile.WriteText(Path.Combine(folder, id + ".geojson"), QuPathTiles.ToJson(geojson));
        }
    }
}
