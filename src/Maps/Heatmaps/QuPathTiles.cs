using System.Text.Json;
using System.Text.Json.Nodes;
using Amil.MLNet.Transforms.Bagging;

namespace Amil.MLNet.Maps.Heatmaps;

/// <summary>
/// A map as QuPath-compatible GeoJSON: a FeatureCollection with one square tile per patch, in the pixel
/// coordinates of the original image (origin top left, as QuPath uses them), each a <c>"tile"</c> object whose
/// <c>measurements</c> hold the map values. Import it in QuPath with File → Import objects (or drag it onto the
/// image) and colour the tiles by a measurement.
/// </summary>
public static class QuPathTiles
{
    /// <param name="coordinates">x, y per patch in the prepared image (as the bag's coordinate column).</param>
    /// <param name="measurements">Named values, one per patch each (e.g. "attention", "contribution:
    /// malignant").</param>
    /// <param name="frame">How the image was prepared; null: not resized or padded.</param>
    public static JsonObject Build(
        int[] coordinates,
        int patchSize,
        IReadOnlyList<(string Name, float[] Values)> measurements,
        ImageFrame? frame,
        int originalWidth,
        int originalHeight
    )
    {
        int count = coordinates.Length / 2;
        foreach (var (name, values) in measurements)
            if (values.Length != count)
                throw new ArgumentException($"Measurement '{name}' has {values.Length} values for {count} patches.");
        var features = new JsonArray();
        for (int i = 0; i < count; i++)
        {
            double x0 = coordinates[2 * i],
                y0 = coordinates[2 * i + 1];
            (double X, double Y) Corner(double x, double y) =>
                frame is { } f ? f.ToOriginal(x, y, originalWidth, originalHeight) : (x, y);
            var corners = new[]
            {
                Corner(x0, y0),
                Corner(x0 + patchSize, y0),
                Corner(x0 + patchSize, y0 + patchSize),
                Corner(x0, y0 + patchSize),
                Corner(x0, y0),
            };
            var ring = new JsonArray();
            foreach (var (x, y) in corners)
                ring.Add(new JsonArray(Math.Round(x, 2), Math.Round(y, 2)));
            var values = new JsonObject();
            foreach (var (name, v) in measurements)
                values[name] = float.IsFinite(v[i]) ? v[i] : null;
            features.Add(
                new JsonObject
                {
                    ["type"] = "Feature",
                    ["geometry"] = new JsonObject { ["type"] = "Polygon", ["coordinates"] = new JsonArray(ring) },
                    ["properties"] = new JsonObject
                    {
                        ["objectType"] = "tile",
                        ["name"] = $"patch {i}",
                        ["measurements"] = values,
                    },
                }
            );
        }
        return new JsonObject { ["type"] = "FeatureCollection", ["features"] = features };
    }

    public static string ToJson(JsonObject collection) => collection.ToJsonString(new JsonSerializerOptions());
}
