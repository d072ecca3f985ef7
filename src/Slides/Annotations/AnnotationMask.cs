using System.Text.Json;
using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Persistence;

namespace Amil.MLNet.Slides;

/// <summary>
/// Tumour annotations filled into a low-resolution tumour mask of the slide (white = tumour, the convention of PNG
/// masks): QuPath's GeoJSON (File → Export objects as GeoJSON; any GeoJSON of Polygon / MultiPolygon features in
/// level-0 pixels), ASAP's XML (CAMELYON16/17's lesion annotations, see <see cref="AsapXml"/>) or Aperio
/// ImageScope's XML (BACH's whole slides, see <see cref="ImageScopeXml"/>). Every region is tumour except
/// exclusions (ASAP group <c>_2</c> or "Exclusion"; a GeoJSON class "Exclusion", "Ignore*" or "_2"; an ImageScope
/// negative region), which are cleared after the tumour is filled, and ImageScope regions of benign or normal
/// tissue, which are left out; holes (inner rings) are left out (even–odd rule); points and lines are ignored.
/// </summary>
public static class AnnotationMask
{
    /// <summary>The mask's longer side in pixels (a slide of 100,000 px gives one mask pixel per ~49 px).</summary>
    public const int DefaultLongSide = 2048;

    /// <summary>Whether <paramref name="path"/> is an annotation file (GeoJSON: .geojson or .json; ASAP: .xml)
    /// rather than a mask image.</summary>
    public static bool IsAnnotationFile(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".geojson" or ".json" or ".xml";

    /// <summary>A slide's tumour mask as an image: GeoJSON or ASAP XML annotations filled in (see
    /// <see cref="Rasterize"/>), or a mask image as it is (tumour &gt; 127 in red).</summary>
    public static RgbImage ReadMask(string path, int slideWidth, int slideHeight) =>
        IsAnnotationFile(path) ? Rasterize(path, slideWidth, slideHeight) : RgbImageReader.Read(path);

    /// <summary>The tumour regions of an annotation file (level-0 pixel coordinates, holes kept), less its
    /// exclusions, filled into a mask of the slide's shape whose longer side is <paramref name="longSide"/>: tumour
    /// white, the rest black.</summary>
    /// <exception cref="InvalidDataException">Not GeoJSON, ASAP or ImageScope XML, or no regions in it (the message
    /// says where; an ImageScope file whose regions are all benign or normal is a mask without tumour).</exception>
    public static RgbImage Rasterize(string path, int slideWidth, int slideHeight, int longSide = DefaultLongSide) =>
        Draw(path, slideWidth, slideHeight, longSide, annotatedTissue: false);

    /// <summary>Every annotated region of the file, tumour or not (benign and normal regions included), less its
    /// exclusions, filled like <see cref="Rasterize"/>: the annotated tissue, white.</summary>
    /// <exception cref="InvalidDataException">As <see cref="Rasterize"/>.</exception>
    public static RgbImage RasterizeRegions(
        string path,
        int slideWidth,
        int slideHeight,
        int longSide = DefaultLongSide
    ) => Draw(path, slideWidth, slideHeight, longSide, annotatedTissue: true);

    /// <summary>A slide's annotated tissue as a mask: an annotation file's every region
    /// (<see cref="RasterizeRegions"/>), or a mask image's white.</summary>
    public static RgbImage ReadRegions(string path, int slideWidth, int slideHeight) =>
        IsAnnotationFile(path) ? RasterizeRegions(path, slideWidth, slideHeight) : RgbImageReader.Read(path);

    private static RgbImage Draw(string path, int slideWidth, int slideHeight, int longSide, bool annotatedTissue)
    {
        var regions = Read(path);
        if (regions.Tumour.Count == 0 && regions.Exclusion.Count == 0 && !regions.Classified)
            throw new InvalidDataException(
                $"{path}: no Polygon or MultiPolygon annotations; export the tumour annotations from QuPath as "
                    + "GeoJSON (File → Export objects as GeoJSON) or give ASAP's XML."
            );
        double scale = Math.Min(1.0, longSide / (double)Math.Max(slideWidth, slideHeight));
        int width = Math.Max(1, (int)Math.Ceiling(slideWidth * scale)),
            height = Math.Max(1, (int)Math.Ceiling(slideHeight * scale));
        var pixels = new byte[width * height * 3];
        var filled = annotatedTissue ? regions.Tumour.Concat(regions.Other ?? []) : regions.Tumour;
        foreach (var region in filled)
            Fill(pixels, width, height, scale, region.Rings, 255);
        foreach (var region in regions.Exclusion)
            Fill(pixels, width, height, scale, region.Rings, 0);
        return new RgbImage(width, height, pixels);
    }

    /// <summary>The class (or group) of every region in an annotation file, in file order, tumour or not: what a
    /// cohort's layout labels a slide by (BACH's whole slides take their most severe region's class).</summary>
    /// <exception cref="InvalidDataException">Not an annotation file this library reads (the message says
    /// why).</exception>
    public static IReadOnlyList<string> RegionClasses(string path)
    {
        if (!Path.GetExtension(path).Equals(".xml", StringComparison.OrdinalIgnoreCase))
            return [.. GeoJson(path) is var g ? g.Tumour.Concat(g.Exclusion).Select(r => r.Name) : []];
        var document = AsapXml.Load(path);
        return document.Root?.Name.LocalName == ImageScopeXml.RootName
            ? ImageScopeXml.Classes(path, document)
            : [.. AsapXml.Read(path, document) is var a ? a.Tumour.Concat(a.Exclusion).Select(r => r.Name) : []];
    }

    /// <summary>An annotation file's regions: ASAP or ImageScope XML (.xml), or GeoJSON.</summary>
    internal static AnnotationRegions Read(string path) =>
        Path.GetExtension(path).Equals(".xml", StringComparison.OrdinalIgnoreCase) ? AsapXml.Read(path) : GeoJson(path);

    /// <summary>Sets the mask pixels inside a polygon (even–odd over its rings) to <paramref name="value"/>.</summary>
    private static void Fill(
        byte[] pixels,
        int width,
        int height,
        double scale,
        (double X, double Y)[][] rings,
        byte value
    )
    {
        // Only the mask rows the polygon spans: an export holds many small annotations.
        var ys = rings.SelectMany(ring => ring.Select(p => p.Y)).ToList();
        if (ys.Count == 0)
            return;
        var crossings = new List<double>();
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
                    pixels.AsSpan((y * width + from) * 3, (to - from + 1) * 3).Fill(value);
            }
        }
    }

    /// <summary>Each polygon as its rings (outer ring first), points as (x, y), with its feature's class.</summary>
    private static AnnotationRegions GeoJson(string path)
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
            var polygons = new List<AnnotationRegion>();
            try
            {
                Collect(json.RootElement, "", polygons);
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
            return new AnnotationRegions(
                [.. polygons.Where(p => !IsExclusion(p.Name))],
                [.. polygons.Where(p => IsExclusion(p.Name))]
            );
        }
    }

    /// <summary>A GeoJSON class that marks areas to leave out: "Exclusion", QuPath's "Ignore*", CAMELYON's
    /// "_2".</summary>
    private static bool IsExclusion(string name) =>
        AsapXml.IsExclusion(name) || name.StartsWith("Ignore", StringComparison.OrdinalIgnoreCase);

    /// <summary>A FeatureCollection, a bare array of features (QuPath's other export), a Feature or a
    /// geometry.</summary>
    private static void Collect(JsonElement element, string name, List<AnnotationRegion> polygons)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
                Collect(item, name, polygons);
            return;
        }
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("type", out var type))
            return;
        switch (type.GetString())
        {
            case "FeatureCollection":
                Collect(element.GetProperty("features"), name, polygons);
                break;
            case "Feature":
                if (element.TryGetProperty("geometry", out var geometry))
                    Collect(geometry, ClassName(element), polygons);
                break;
            case "GeometryCollection":
                Collect(element.GetProperty("geometries"), name, polygons);
                break;
            case "Polygon":
                polygons.Add(new AnnotationRegion(name, Rings(element.GetProperty("coordinates"))));
                break;
            case "MultiPolygon":
                foreach (var polygon in element.GetProperty("coordinates").EnumerateArray())
                    polygons.Add(new AnnotationRegion(name, Rings(polygon)));
                break;
        }
    }

    /// <summary>QuPath's class of a feature (properties.classification.name), else its name, else "".</summary>
    private static string ClassName(JsonElement feature)
    {
        if (!feature.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
            return "";
        if (
            properties.TryGetProperty("classification", out var classification)
            && classification.ValueKind == JsonValueKind.Object
            && classification.TryGetProperty("name", out var className)
            && className.ValueKind == JsonValueKind.String
        )
            return className.GetString()!;
        return properties.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
            ? n.GetString()!
            : "";
    }

    private static (double X, double Y)[][] Rings(JsonElement rings) =>
        rings
            .EnumerateArray()
            .Select(ring => ring.EnumerateArray().Select(p => (p[0].GetDouble(), p[1].GetDouble())).ToArray())
            .ToArray();
}
