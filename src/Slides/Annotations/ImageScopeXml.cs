using System.Xml.Linq;

namespace Amil.MLNet.Slides;

/// <summary>
/// Aperio ImageScope's annotation XML, as BACH's whole slides ship their region outlines:
/// <c>Annotations/Annotation/Regions/Region/Vertices/Vertex[@X, @Y]</c> in level-0 pixels. A region's class is its
/// first non-empty <c>Attributes/Attribute[@Value]</c>, else its <c>Text</c>, else its annotation's <c>Name</c> (BACH
/// writes "Benign", "In situ carcinoma", "Invasive carcinoma"). Regions whose class says benign or normal are neither
/// tumour nor excluded; exclusions (<see cref="AsapXml.IsExclusion"/>) and ImageScope's negative regions
/// (<c>NegativeROA="1"</c>) are cleared from the tumour; every other region is tumour.
/// </summary>
internal static class ImageScopeXml
{
    public const string RootName = "Annotations";

    public static AnnotationRegions Read(string path, XDocument document)
    {
        RequireRegions(path, document);
        var tumour = new List<AnnotationRegion>();
        var exclusion = new List<AnnotationRegion>();
        var other = new List<AnnotationRegion>();
        foreach (var annotation in document.Root!.Elements("Annotation"))
        foreach (var region in annotation.Elements("Regions").Elements("Region"))
        {
            var points = Points(path, region);
            if (points.Length < 3)
                continue;
            var found = new AnnotationRegion(ClassOf(annotation, region), [points]);
            if ((string?)region.Attribute("NegativeROA") == "1" || AsapXml.IsExclusion(found.Name))
                exclusion.Add(found);
            else
                (IsNonTumour(found.Name) ? other : tumour).Add(found);
        }
        return new AnnotationRegions(tumour, exclusion, Classified: true, other);
    }

    /// <summary>The class of every region the mask draws, in file order (benign ones included; negative regions,
    /// exclusions and outlines of fewer than 3 points left out, as <see cref="Read"/> leaves them out of the
    /// tumour).</summary>
    public static IReadOnlyList<string> Classes(string path, XDocument document)
    {
        RequireRegions(path, document);
        return
        [
            .. document
                .Root!.Elements("Annotation")
                .SelectMany(a =>
                    a.Elements("Regions")
                        .Elements("Region")
                        .Where(r => (string?)r.Attribute("NegativeROA") != "1" && Points(path, r).Length >= 3)
                        .Select(r => ClassOf(a, r))
                        .Where(c => !AsapXml.IsExclusion(c))
                ),
        ];
    }

    private static void RequireRegions(string path, XDocument document)
    {
        if (!document.Root!.Elements("Annotation").Elements("Regions").Any())
            throw new InvalidDataException(
                $"{path}: an <Annotations> root without Annotation/Regions: neither ImageScope's annotation XML nor "
                    + "ASAP's (<ASAP_Annotations>); give one of those, QuPath GeoJSON (.geojson) or a mask image."
            );
    }

    /// <summary>Benign and normal tissue: annotated, but not tumour.</summary>
    public static bool IsNonTumour(string name) =>
        name.Contains("benign", StringComparison.OrdinalIgnoreCase)
        || name.Contains("normal", StringComparison.OrdinalIgnoreCase);

    private static string ClassOf(XElement annotation, XElement region) =>
        new[]
        {
            region
                .Elements("Attributes")
                .Elements("Attribute")
                .Select(a => (string?)a.Attribute("Value"))
                .FirstOrDefault(v => !string.IsNullOrWhiteSpace(v)),
            (string?)region.Attribute("Text"),
            (string?)annotation.Attribute("Name"),
        }
            .FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))
            ?.Trim()
        ?? "";

    private static (double X, double Y)[] Points(string path, XElement region) =>
        [
            .. region
                .Elements("Vertices")
                .Elements("Vertex")
                .Select(v => (AsapXml.Number(path, v, "X"), AsapXml.Number(path, v, "Y"))),
        ];
}
