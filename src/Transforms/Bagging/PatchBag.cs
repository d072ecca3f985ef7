namespace Amil.MLNet.Transforms.Bagging;

/// <summary>One image as a bag: flat patch pixels (patch-major, then channel, row, column) and the layout that explains them.</summary>
public sealed record PatchBag(float[] Pixels, BagLayout Layout)
{
    /// <summary>How the image was prepared (resize, padding) before cutting.</summary>
    public ImageFrame Frame { get; init; } = ImageFrame.Identity(Layout.RegionX * 2 + Layout.RegionWidth, Layout.RegionY * 2 + Layout.RegionHeight);

    /// <summary>Patch origins as (x0, y0, x1, y1, …) in image pixels.</summary>
    public int[] Coordinates()
    {
        var xy = new int[Layout.Count * 2];
        for (int i = 0; i < Layout.Count; i++) (xy[2 * i], xy[2 * i + 1]) = Layout.Origin(i);
        return xy;
    }
}
