using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Slides;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Tumour annotations as GeoJSON (QuPath's export) filled into a slide's low-resolution mask.</summary>
public sealed class AnnotationMaskTests : IDisposable
{
    private readonly string _work = TestTemp.Folder("amil-annotations-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_work, $"{Guid.NewGuid():N}.geojson");
        File.WriteAllText(path, json);
        return path;
    }

    private static bool Tumour(Transforms.Images.RgbImage mask, int x, int y) =>
        mask.Pixels[(y * mask.Width + x) * 3] > 127;

    [Fact]
    public void PolygonsWithHolesAndMultiPolygonsFillTheScaledMask()
    {
        // A 1000 × 500 slide drawn at 100 × 50: a 200 px square with a 100 px hole, and a MultiPolygon of two
        // squares elsewhere, as QuPath writes them (a FeatureCollection with classifications).
        var path = Write(
            """
            { "type": "FeatureCollection", "features": [
              { "type": "Feature", "properties": { "objectType": "annotation", "classification": { "name": "Tumor" } },
                "geometry": { "type": "Polygon", "coordinates": [
                  [[100, 100], [300, 100], [300, 300], [100, 300], [100, 100]],
                  [[150, 150], [250, 150], [250, 250], [150, 250], [150, 150]] ] } },
              { "type": "Feature", "properties": {},
                "geometry": { "type": "MultiPolygon", "coordinates": [
                  [[[600, 0], [700, 0], [700, 100], [600, 100], [600, 0]]],
                  [[[900, 400], [1000, 400], [1000, 500], [900, 500], [900, 400]]] ] } },
              { "type": "Feature", "properties": {}, "geometry": { "type": "Point", "coordinates": [5, 5] } } ] }
            """
        );
        var mask = AnnotationMask.Rasterize(path, 1000, 500, longSide: 100);
        Assert.Equal((100, 50), (mask.Width, mask.Height));
        Assert.True(Tumour(mask, 12, 12)); // (125, 125): in the square, outside the hole
        Assert.False(Tumour(mask, 20, 20)); // (205, 205): the hole
        Assert.True(Tumour(mask, 29, 29)); // (295, 295)
        Assert.False(Tumour(mask, 31, 20)); // (315, 205): right of the square
        Assert.True(Tumour(mask, 65, 5));
        Assert.True(Tumour(mask, 95, 45));
        Assert.False(Tumour(mask, 0, 0)); // the point is ignored
        int count = Enumerable.Range(0, 100 * 50).Count(i => mask.Pixels[i * 3] > 127);
        // Pixel centres inside: 20×20 − 10×10 (the square less its hole) + 10×10 + 10×10 (the two other squares).
        Assert.Equal(400 - 100 + 100 + 100, count);
    }

    [Fact]
    public void QuPathsArrayExportAndBareGeometriesAreRead()
    {
        var array = Write(
            """
            [ { "type": "Feature", "geometry": { "type": "Polygon",
                "coordinates": [[[0, 0], [50, 0], [50, 50], [0, 50], [0, 0]]] } } ]
            """
        );
        Assert.True(Tumour(AnnotationMask.Rasterize(array, 100, 100), 10, 10));
        Assert.False(Tumour(AnnotationMask.Rasterize(array, 100, 100), 60, 60));
        var bare = Write("""{ "type": "Polygon", "coordinates": [[[0, 0], [50, 0], [50, 50], [0, 0]]] }""");
        Assert.True(Tumour(AnnotationMask.Rasterize(bare, 100, 100), 40, 10));
        Assert.False(Tumour(AnnotationMask.Rasterize(bare, 100, 100), 10, 40));
    }

    [Fact]
    public void BrokenOrEmptyAnnotationFilesSayWhatIsWrong()
    {
        var broken = Write("{ \"type\": \"FeatureCollection\",\n  \"features\": [ { ] }");
        var e = Assert.Throws<InvalidDataException>(() => AnnotationMask.Rasterize(broken, 100, 100));
        Assert.Contains("line 2", e.Message);
        Assert.Contains(broken, e.Message);

        var points = Write("""{ "type": "Point", "coordinates": [1, 2] }""");
        Assert.Contains(
            "no Polygon",
            Assert.Throws<InvalidDataException>(() => AnnotationMask.Rasterize(points, 9, 9)).Message
        );

        var bad = Write("""{ "type": "Polygon", "coordinates": [[[0], [1, 1], [0, 1]]] }""");
        Assert.Contains(
            "[x, y]",
            Assert.Throws<InvalidDataException>(() => AnnotationMask.Rasterize(bad, 9, 9)).Message
        );
    }

    [Fact]
    public void TheWsiLayoutTakesAGeoJsonMaskWhenThereIsNoPng()
    {
        var root = Path.Combine(_work, "slides");
        SyntheticSlides.Generate(root, new SyntheticSlideOptions(2, 1) { Width = 512, Height = 512 });
        var masks = Path.Combine(root, SyntheticSlides.MasksFolder);
        var tumour = Directory.GetFiles(masks, "tumor_*.png").Single();
        File.Delete(tumour);
        var annotations = Path.ChangeExtension(tumour, ".geojson");
        File.WriteAllText(annotations, """{ "type": "Polygon", "coordinates": [[[0, 0], [9, 0], [9, 9], [0, 0]]] }""");
        var entry = new DatasetEntry
        {
            Name = "annotated",
            Layout = "wsi",
            Root = root,
        };
        var records = SlideLayout.Read(root, entry);
        Assert.Contains(records, r => r.MaskPath == annotations);
        Assert.All(records, r => Assert.NotNull(r.MaskPath));
    }
}
