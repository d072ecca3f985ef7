namespace Amil.MLNet.Data.Synthetic;

/// <summary>
/// How the nuclei of a kind of tissue look: one nucleus per cell of a jittered grid (<see cref="Cell"/> pixels at
/// level 0), its radius <see cref="Radius"/> + <see cref="RadiusSpread"/> × u of the cell, its colour, and the share of
/// area under nuclei that coarse levels blend to.
/// </summary>
internal readonly record struct CellLook(
    int Cell,
    double Coverage,
    (double R, double G, double B) Nucleus,
    double Radius,
    double RadiusSpread
)
{
    /// <summary>Stroma with sparse small nuclei.</summary>
    public static readonly CellLook Normal = new(22, 0.12, (105, 75, 150), 0.18, 0.06);

    /// <summary>Tumour: large, dark, crowded nuclei.</summary>
    public static readonly CellLook Tumour = new(14, 0.45, (70, 40, 120), 0.38, 0.12);

    /// <summary>Lymphocytes: small, very dark nuclei packed as tightly as tumour — alike at low power.</summary>
    public static readonly CellLook Lymphocytes = new(9, 0.45, (55, 35, 110), 0.36, 0.06);

    /// <summary>A germinal centre's pale, larger, looser nuclei.</summary>
    public static readonly CellLook GerminalCentre = new(17, 0.22, (135, 105, 175), 0.26, 0.08);

    /// <summary>Large atypical but benign cells: tumour-sized dark nuclei, far apart.</summary>
    public static readonly CellLook Atypical = new(30, 0.2, (72, 44, 124), 0.3, 0.06);
}
