using System.Globalization;
using System.Security;
using System.Text;
using Amil.MLNet.Transforms;

namespace Amil.MLNet.Data.Synthetic;

/// <summary>Writes region outlines as Aperio ImageScope XML, BACH's whole-slide annotation format: one annotation
/// layer whose regions carry their class as a region attribute, vertices in level-0 pixels.</summary>
internal static class ImageScopeXmlWriter
{
    /// <summary>One region: its class (e.g. "Invasive carcinoma") and its outline.</summary>
    public sealed record Region(string Class, (double X, double Y)[] Points);

    public static void Write(string path, IReadOnlyList<Region> regions, double micronsPerPixel)
    {
        var xml = new StringBuilder();
        xml.Append(CultureInfo.InvariantCulture, $"<Annotations MicronsPerPixel=\"{micronsPerPixel:0.######}\">\r\n")
            .Append("<Annotation Id=\"1\" Name=\"\" ReadOnly=\"0\" LineColor=\"65280\" Visible=\"1\">\r\n")
            .Append("<Attributes><Attribute Name=\"Description\" Id=\"0\" Value=\"\"/></Attributes>\r\n")
            .Append("<Regions>\r\n");
        for (int k = 0; k < regions.Count; k++)
            Append(xml, k + 1, regions[k]);
        xml.Append("</Regions>\r\n<Plots/>\r\n</Annotation>\r\n</Annotations>\r\n");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.WriteText(path, xml.ToString());
    }

    private static void Append(StringBuilder xml, int id, Region region)
    {
        string name = SecurityElement.Escape(region.Class);
        xml.Append(CultureInfo.InvariantCulture, $"<Region Id=\"{id}\" Type=\"0\" NegativeROA=\"0\" Text=\"\">\r\n")
            .Append(CultureInfo.InvariantCulture, $"<Attributes><Attribute Name=\"{name}\" Id=\"0\" Value=\"{name}\"/>")
            .Append("</Attributes>\r\n<Vertices>\r\n");
        foreach (var (x, y) in region.Points)
            xml.Append(
                CultureInfo.InvariantCulture,
                $"<Vertex X=\"{Math.Round(x)}\" Y=\"{Math.Round(y)}\" Z=\"0\"/>\r\n"
            );
        xml.Append("</Vertices>\r\n</Region>\r\n");
    }
}
