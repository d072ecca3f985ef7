namespace Amil.MLNet.Data.Synthetic;

/// <summary>
/// A slide's own staining and scanning: each channel's optical density (−ln(I/255)) scaled by its factor, as a
/// stronger or weaker haematoxylin/eosin or another scanner's colour response would; applied through one lookup
/// table per channel.
/// </summary>
internal sealed class StainVariation
{
    private readonly byte[][] _tables;
    private readonly (double Red, double Green, double Blue) _factors;

    public StainVariation(double red, double green, double blue)
    {
        _factors = (red, green, blue);
        _tables = [Table(red), Table(green), Table(blue)];
    }

    /// <summary>This stain as another site would render it: each channel's factor times the site's.</summary>
    public StainVariation At((double Red, double Green, double Blue) site) =>
        new(_factors.Red * site.Red, _factors.Green * site.Green, _factors.Blue * site.Blue);

    public static StainVariation Draw(Random random) => new(Factor(random), Factor(random), Factor(random));

    private static double Factor(Random random) => 0.75 + 0.5 * random.NextDouble();

    public byte Apply(int channel, byte value) => _tables[channel][value];

    private static byte[] Table(double factor)
    {
        var table = new byte[256];
        for (int v = 0; v < 256; v++)
        {
            double density = -Math.Log(Math.Max(v, 1) / 255.0);
            table[v] = (byte)Math.Clamp(Math.Round(255 * Math.Exp(-density * factor)), 0, 255);
        }
        return table;
    }
}
