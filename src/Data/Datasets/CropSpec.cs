using System.Globalization;

namespace Amil.MLNet.Data.Datasets;

/// <summary>Parses "HxW" (e.g. 448x700) or "none" (whole image).</summary>
public static class CropSpec
{
    public static bool TryParse(string? text, out (int Height, int Width)? crop)
    {
        crop = null;
        if (string.IsNullOrWhiteSpace(text)) return false;
        if (text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase)) return true;
        var parts = text.Trim().ToLowerInvariant().Split('x');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int h) &&
            int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int w) && h > 0 && w > 0)
        {
            crop = (h, w);
            return true;
        }
        return false;
    }

    public static (int Height, int Width)? Parse(string text) =>
        TryParse(text, out var crop) ? crop : throw new DatasetException($"Crop '{text}' must be HxW (e.g. 448x700) or none.");
}
