using System.Globalization;
using System.Text;
using Amil.MLNet.Transforms;

namespace Amil.MLNet.Data.Synthetic;

/// <summary>Writes lesion outlines as ASAP XML, the CAMELYON cohorts' annotation format: polygons in level-0
/// pixels, each in a group, and the groups listed with their colours.</summary>
internal static class AsapXmlWriter
{
    /// <summary>One outline: its group (e.g. <c>_0</c>, <c>_2</c>, <c>metastases</c>) and its points.</summary>
    public sealed record Outline(string Group, (double X, double Y)[] Points);

    public static void Write(string path, IReadOnlyList<Outline> outlines)
    {
        var xml = new StringBuilder("<?xml version=\"1.0\"?>\n<ASAP_Annotations>\n\t<Annotations>\n");
        for (int k = 0; k < outlines.Count; k++)
            Polygon(xml, $"Annotation {k}", outlines[k].Group, Colour(outlines[k].Group), outlines[k].Points);
        xml.Append("\t</Annotations>\n\t<AnnotationGroups>\n");
        foreach (var group in outlines.Select(o => o.Group).Distinct())
            xml.Append($"\t\t<Group Name=\"{group}\" PartOfGroup=\"None\" Color=\"{Colour(group)}\">\n")
                .Append("\t\t\t<Attributes />\n\t\t</Group>\n");
        xml.Append("\t</AnnotationGroups>\n</ASAP_Annotations>\n");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.WriteText(path, xml.ToString());
    }

    /// <summary>A polygon of 48 points around an ellipse.</summary>
    public static (double X, double Y)[] Ellipse(double x, double y, double rx, double ry) =>
        [
            .. Enumerable
                .Range(0, 48)
                .Select(i => (x + rx * Math.Cos(i * Math.PI / 24), y + ry * Math.Sin(i * Math.PI / 24))),
        ];

    private static string Colour(string group) => group == "_2" ? "#00FF00" : "#FF0000";

    private static void Polygon(StringBuilder xml, string name, string group, string colour, (double, double)[] points)
    {
        xml.Append($"\t\t<Annotation Name=\"{name}\" Type=\"Polygon\" PartOfGroup=\"{group}\" Color=\"{colour}\">\n")
            .Append("\t\t\t<Coordinates>\n");
        for (int i = 0; i < points.Length; i++)
            xml.Append(
                string.Format(
                    CultureInfo.InvariantCulture,
                    "\t\t\t\t<Coordinate Order=\"{0}\" X=\"{1:0.###}\" Y=\"{2:0.###}\" />\n",
                    i,
                    points[i].Item1,
                    points[i].Item2
                )
            );
        xml.Append("\t\t\t</Coordinates>\n\t\t</Annotation>\n");
    }
}
