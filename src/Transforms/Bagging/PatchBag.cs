namespace Amil.MLNet.Transforms.Bagging;

/// <summary>One image as a bag: flat patch pixels (patch-major, then channel, row, column), the layout that explains
/// them, and the frame (resize, padding) the layout's coordinates refer to.</summary>
public sealed record PatchBag(float[] Pixels, BagLayout Layout, ImageFrame Frame)
{
    /// <summary>Patch origins as (x0, y0, x1, y1, …) in image pixels.</summary>
    public int[] Coordinates()
    {
        var xy = new int[Layout.Count * 2];
        for (int i = 0; i < Layout.Count; i++)
            (xy[2 * i], xy[2 * i + 1]) = Layout.Origin(i);
        return xy;
    }
}
