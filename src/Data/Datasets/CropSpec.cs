using System.Globalization;

namespace Amil.MLNet.Data.Datasets;

/// <summary>Parses "HxW" (e.g. 448x700) or "none" (whole image).</summary>
public static class CropSpec
{
    public static bool TryParse(string? text, out (int Height, int Width)? crop)
    {
        crop = null;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        if (text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase))
            return true;
        var parts = text.Trim().ToLowerInvariant().Split('x');
        if (
            parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int h)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int w)
            && h is > 0 and <= MaxSide
            && w is > 0 and <= MaxSide
        )
        {
            crop = (h, w);
            return true;
        }
        return false;
    }

    /// <param name="what">What the size is for, as the message should name it ("Crop", "Resize").</param>
    public static (int Height, int Width)? Parse(string text, string what = "Crop") =>
        TryParse(text, out var crop)
            ? crop
            : throw new DatasetException(
                $"{what} '{text}' must be HxW (height x width, each 1 to {MaxSide}; e.g. 448x700) or none."
            );

    /// <summary>Largest side accepted: beyond it one image's pixels no longer fit a .NET array.</summary>
    public const int MaxSide = 30_000;
}
