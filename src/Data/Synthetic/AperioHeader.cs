using System.Globalization;

namespace Amil.MLNet.Data.Synthetic;

/// <summary>The first ImageDescription of a synthetic slide that should read as Aperio SVS: the library line, then
/// "|key = value" fields with the objective power (AppMag) and µm per level-0 pixel (MPP).</summary>
internal static class AperioHeader
{
    public static string Describe(int width, int height, int tileSize, double magnification, double micronsPerPixel) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"Aperio Image Library (Amil.MLNet synthetic)\r\n{width}x{height} ({tileSize}x{tileSize}) JPEG/RGB"
                + $"|AppMag = {magnification}|MPP = {micronsPerPixel}"
        );
}
