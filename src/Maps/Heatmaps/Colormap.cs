namespace Amil.MLNet.Maps.Heatmaps;

/// <summary>Perceptually uniform colour scales for maps in [0, 1], as anchor colours linearly interpolated.</summary>
public sealed class Colormap
{
    // Anchors: matplotlib's viridis and inferno (CC0) at 0, 1/8, …, 1, rounded to bytes.
    public static readonly Colormap Viridis = new(
        "viridis",
        [
            (68, 1, 84),
            (71, 44, 122),
            (59, 81, 139),
            (44, 113, 142),
            (33, 144, 141),
            (39, 173, 129),
            (92, 200, 99),
            (170, 220, 50),
            (253, 231, 37),
        ]
    );
    public static readonly Colormap Inferno = new(
        "inferno",
        [
            (0, 0, 4),
            (31, 12, 72),
            (85, 15, 109),
            (136, 34, 106),
            (186, 54, 85),
            (227, 89, 51),
            (249, 140, 10),
            (249, 201, 50),
            (252, 255, 164),
        ]
    );

    /// <summary>The classic rainbow (blue → cyan → yellow → red) many pathology figures use.</summary>
    public static readonly Colormap Jet = new(
        "jet",
        [
            (0, 0, 143),
            (0, 0, 255),
            (0, 127, 255),
            (0, 255, 255),
            (127, 255, 127),
            (255, 255, 0),
            (255, 127, 0),
            (255, 0, 0),
            (127, 0, 0),
        ]
    );

    public static IReadOnlyList<Colormap> All { get; } = [Viridis, Inferno, Jet];

    private readonly (byte R, byte G, byte B)[] _anchors;

    private Colormap(string name, (byte, byte, byte)[] anchors)
    {
        Name = name;
        _anchors = anchors;
    }

    public string Name { get; }

    public static Colormap Parse(string name) =>
        All.FirstOrDefault(c => c.Name.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown colormap '{name}'; use {string.Join(", ", All.Select(c => c.Name))}.");

    /// <summary>Colour of a value in [0, 1] (clamped).</summary>
    public (byte R, byte G, byte B) this[float value]
    {
        get
        {
            float t = Math.Clamp(float.IsNaN(value) ? 0 : value, 0, 1) * (_anchors.Length - 1);
            int i = Math.Min((int)t, _anchors.Length - 2);
            float f = t - i;
            var (a, b) = (_anchors[i], _anchors[i + 1]);
            return (Mix(a.R, b.R, f), Mix(a.G, b.G, f), Mix(a.B, b.B, f));
        }
    }

    private static byte Mix(byte a, byte b, float f) => (byte)Math.Round(a + (b - a) * f);
}
