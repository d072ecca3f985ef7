using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Amil.MLNet.Slides;

/// <summary>
/// ASAP's annotation XML, as CAMELYON16 and CAMELYON17 ship their lesion outlines:
/// <c>ASAP_Annotations/Annotations/Annotation[@Type, @PartOfGroup]/Coordinates/Coordinate[@Order, @X, @Y]</c> in
/// level-0 pixels. Polygons, splines (read as their control polygon) and rectangles are regions; dots and point sets
/// are not. CAMELYON16's convention: groups <c>_0</c> and <c>_1</c> (and any other name) are tumour, group <c>_2</c>
/// marks non-tumour areas inside a tumour outline, which the evaluation leaves out; a group named "Exclusion" means
/// the same. An XML file whose root is ImageScope's <c>Annotations</c> is read by <see cref="ImageScopeXml"/>.
/// </summary>
internal static class AsapXml
{
    public static AnnotationRegions Read(string path) => Read(path, Load(path));

    /// <summary>The regions of <paramref name="document"/>, loaded from <paramref name="path"/>.</summary>
    public static AnnotationRegions Read(string path, XDocument document)
    {
        if (document.Root?.Name.LocalName == ImageScopeXml.RootName)
            return ImageScopeXml.Read(path, document);
        if (document.Root?.Name.LocalName != "ASAP_Annotations")
            throw new InvalidDataException(
                $"{path}: the root element is <{document.Root?.Name.LocalName}>, neither ASAP's <ASAP_Annotations> "
                    + "nor ImageScope's <Annotations>; give one of those XML files, QuPath GeoJSON (.geojson) or a "
                    + "mask image."
            );
        var tumour = new List<AnnotationRegion>();
        var exclusion = new List<AnnotationRegion>();
        foreach (var annotation in document.Descendants("Annotation"))
        {
            string type = ((string?)annotation.Attribute("Type") ?? "Polygon").Trim();
            if (type is "Dot" or "PointSet" or "Measurement")
                continue;
            string group = ((string?)annotation.Attribute("PartOfGroup") ?? "").Trim();
            var points = Points(path, annotation);
            if (points.Length < 3)
                continue;
            var region = new AnnotationRegion(group, [points]);
            (IsExclusion(group) ? exclusion : tumour).Add(region);
        }
        return new AnnotationRegions(tumour, exclusion);
    }

    /// <summary>An annotation XML file (ASAP's or ImageScope's), with line numbers for messages.</summary>
    public static XDocument Load(string path)
    {
        try
        {
            return XDocument.Load(path, LoadOptions.SetLineInfo);
        }
        catch (XmlException e)
        {
            throw new InvalidDataException(
                $"{path}: not valid XML at line {e.LineNumber}, position {e.LinePosition}; is it the annotation file "
                    + "as the cohort shipped it?",
                e
            );
        }
    }

    /// <summary>CAMELYON16's <c>_2</c>, or a group called an exclusion.</summary>
    public static bool IsExclusion(string group) =>
        group == "_2"
        || group.Equals("Exclusion", StringComparison.OrdinalIgnoreCase)
        || group.Equals("Excluded", StringComparison.OrdinalIgnoreCase);

    private static (double X, double Y)[] Points(string path, XElement annotation) =>
        annotation
            .Descendants("Coordinate")
            .Select(c =>
                (Order: Number(path, c, "Order", missing: 0), X: Number(path, c, "X"), Y: Number(path, c, "Y"))
            )
            .OrderBy(c => c.Order)
            .Select(c => (c.X, c.Y))
            .ToArray();

    /// <summary>A coordinate attribute of an annotation XML element (ASAP's Coordinate, ImageScope's Vertex); some
    /// exports write a decimal comma, which reads the same. A missing attribute is <paramref name="missing"/>, or an
    /// error when none is given.</summary>
    internal static double Number(string path, XElement element, string name, double? missing = null)
    {
        var text = ((string?)element.Attribute(name))?.Trim();
        if (text is null)
            return missing ?? throw Bad(path, element, $"has no {name}");
        text = text.Replace(',', '.');
        if (
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            && double.IsFinite(value)
        )
            return value;
        throw Bad(path, element, $"has {name}=\"{text}\", not a number");
    }

    private static InvalidDataException Bad(string path, XElement element, string what)
    {
        int line = ((IXmlLineInfo)element).HasLineInfo() ? ((IXmlLineInfo)element).LineNumber : 0;
        return new InvalidDataException(
            $"{path}: a <{element.Name.LocalName}>{(line > 0 ? $" (line {line})" : "")} {what}; fix or re-export the "
                + "annotation."
        );
    }
}
