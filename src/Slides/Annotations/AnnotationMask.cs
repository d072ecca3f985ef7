using System.Text.Json;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Persistence;

namespace Amil.MLNet.Slides;

/// <summary>
/// Tumour annotations drawn in QuPath (File → Export objects as GeoJSON) or any GeoJSON of Polygon / MultiPolygon
/// features in level-0 pixel coordinates, filled into a low-resolution tumour mask of the slide (white = tumour, the
/// convention of PNG masks). Every polygon counts as tumour; holes (inner rings) are left out (even–odd rule);
/// points and lines are ignored.
/// </summary>
public static class AnnotationMask
{
    /// <summary>The mask's longer side in pixels (a slide of 100,000 px gives one mask pixel per ~49 px).</summary>
    public const int DefaultLongSide = 2048;

    /// <summary>Whether <paramref name="path"/> is a GeoJSON annotation file (.geojson or .json) rather than a mask
    /// image.</summary>
    public static bool IsAnnotationFile(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".geojson" or ".json";

    /// <summary>A slide's tumour mask as an image: GeoJSON annotations filled in (see <see cref="Rasterize"/>), or a
    /// mask image as it is (tumour &gt; 127 in red).</summary>
    public static RgbImage ReadMask(string path, int slideWidth, int slideHeight) =>
        IsAnnotationFile(path) ? Rasterize(path, slideWidth, slideHeight) : RgbImageReader.Read(path);

    /// <summary>The tumour polygons of a GeoJSON file (level-0 pixel coordinates, holes kept) filled into a mask of
    /// the slide's shape whose longer side is <paramref name="longSide"/>: tumour white, the rest black.</summary>
    /// <exception cref="InvalidDataException">Not GeoJSON, or no polygons in it (the message says where).</exception>
    public static RgbImage Rasterize(string path, int slideWidth, int slideHeight, int longSide = DefaultLongSide)
    {
        var polygons = Polygons(path);
        if (polygons.Count == 0)
            throw new InvalidDataException(
                $"{path}: no Polygon or MultiPolygon annotations; export the tumour annotations from QuPath as "
                    + "GeoJSON (File → Export objects as GeoJSON)."
            );
        double scale = Math.Min(1.0, longSide / (double)Math.Max(slideWidth, slideHeight));
        int width = Math.Max(1, (int)Math.Ceiling(slideWidth * scale)),
            height = Math.Max(1, (int)Math.Ceiling(slideHeight * scale));
        var pixels = new byte[width * height * 3];
        var crossings = new List<double>();
        foreach (var rings in polygons)
        {
            // Only the mask rows the polygon spans: an export holds many small annotations.
            var ys = rings.SelectMany(ring => ring.Select(p => p.Y)).ToList();
            if (ys.Count == 0)
                continue;
            int firstRow = Math.Max(0, (int)Math.Floor(ys.Min() * scale - 0.5)),
                lastRow = Math.Min(height - 1, (int)Math.Ceiling(ys.Max() * scale));
            for (int y = firstRow; y <= lastRow; y++)
            {
                // Row centre in level-0 pixels; every ring edge it crosses toggles inside/outside.
                double level0Y = (y + 0.5) / scale;
                crossings.Clear();
                foreach (var ring in rings)
                    for (int i = 0, j = ring.Length - 1; i < ring.Length; j = i++)
                    {
                        var (x1, y1) = ring[j];
                        var (x2, y2) = ring[i];
                        if ((y1 <= level0Y) != (y2 <= level0Y))
                            crossings.Add(x1 + (level0Y - y1) / (y2 - y1) * (x2 - x1));
                    }
                crossings.Sort();
                for (int k = 0; k + 1 < crossings.Count; k += 2)
                {
                    int from = Math.Max(0, (int)Math.Ceiling(crossings[k] * scale - 0.5)),
                        to = Math.Min(width - 1, (int)Math.Floor(crossings[k + 1] * scale - 0.5));
                    if (from <= to)
                        pixels.AsSpan((y * width + from) * 3, (to - from + 1) * 3).Fill(255);
                }
            }
        }
        return new RgbImage(width, height, pixels);
    }

    /// <summary>Each polygon as its rings (outer ring first), points as (x, y).</summary>
    private static List<(double X, double Y)[][]> Polygons(string path)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is long line
                ? $" at line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1}"
                : "";
            throw new InvalidDataException($"{path}: not valid GeoJSON{where}; export it again from QuPath.", e);
        }
        using (json)
        {
            var polygons = new List<(double X, double Y)[][]>();
            try
            {
                Collect(json.RootElement, polygons);
            }
            catch (Exception e)
                when (e is InvalidOperationException or KeyNotFoundException or IndexOutOfRangeException)
            {
                throw new InvalidDataException(
                    $"{path}: a geometry is not GeoJSON (coordinates must be [x, y] pairs in rings of a Polygon or "
                        + "MultiPolygon); export it again from QuPath.",
                    e
                );
            }
            return polygons;
        }
    }

    /// <summary>A FeatureCollection, a bare array of features (QuPath's other export), a Feature or a
    /// geometry.</summary>
    private static void Collect(JsonElement element, List<(double X, double Y)[][]> polygons)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
                Collect(item, polygons);
            return;
        }
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("type", out var type))
            return;
        switch (type.GetString())
        {
            case "FeatureCollection":
                Collect(element.GetProperty("features"), polygons);
                break;
            case "Feature":
                if (element.TryGetProperty("geometry", out var geometry))
                    Collect(geometry, polygons);
                break;
            case "GeometryCollection":
                Collect(element.GetProperty("geometries"), polygons);
                break;
            case "Polygon":
                polygons.Add(Rings(element.GetProperty("coordinates")));
                break;
            case "MultiPolygon":
                foreach (var polygon in element.GetProperty("coordinates").EnumerateArray())
                    polygons.Add(Rings(polygon));
                break;
        }
    }

    private static (double X, double Y)[][] Rings(JsonElement rings) =>
        rings
            .EnumerateArray()
            .Select(ring => ring.EnumerateArray().Select(p => (p[0].GetDouble(), p[1].GetDouble())).ToArray())
            .ToArray();
}
