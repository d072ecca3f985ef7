namespace Amil.MLNet.Data.Synthetic;

/// <summary>A wobbly ellipse on a slide (level-0 pixels): a piece of tissue, a lesion or a mimic.</summary>
internal readonly record struct Blob(double X, double Y, double Rx, double Ry, double Phase, double Wobble)
{
    public bool Contains(double x, double y)
    {
        double dx = (x - X) / Rx,
            dy = (y - Y) / Ry;
        double r = 1 + Wobble * Math.Sin(3 * Math.Atan2(dy, dx) + Phase);
        return dx * dx + dy * dy <= r * r;
    }

    /// <summary>Whether a point is inside the box that holds the blob, wobble included (a cheap first test).</summary>
    public bool Near(double x, double y)
    {
        double grow = 1 + Math.Abs(Wobble);
        return Math.Abs(x - X) <= Rx * grow && Math.Abs(y - Y) <= Ry * grow;
    }
}
