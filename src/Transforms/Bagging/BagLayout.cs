namespace Amil.MLNet.Transforms.Bagging;

/// <summary>Shape of a bag: <see cref="Count"/> patches of
/// <see cref="Channels"/>×<see cref="PatchSize"/>×<see cref="PatchSize"/> on a <see cref="Rows"/>×<see cref="Columns"/>
/// grid, cut with <see cref="Stride"/> from the analysed region (<see cref="RegionX"/>, <see cref="RegionY"/>,
/// <see cref="RegionWidth"/>, <see cref="RegionHeight"/>) of the (resized) image.</summary>
public readonly record struct BagLayout(
    int Channels,
    int PatchSize,
    int Stride,
    int Rows,
    int Columns,
    int RegionX,
    int RegionY,
    int RegionWidth,
    int RegionHeight
)
{
    /// <summary>Number of ints in the encoded form (the <c>{bag}Layout</c> column).</summary>
    public const int EncodedLength = 9;

    /// <summary>Patches in the bag: rows × columns.</summary>
    public int Count => Rows * Columns;

    /// <summary>Values per patch: channels × side².</summary>
    public int PatchLength => Channels * PatchSize * PatchSize;

    /// <summary>The layout as the <c>{bag}Layout</c> column holds it (<see cref="EncodedLength"/> ints).</summary>
    public int[] Encode() => [Channels, PatchSize, Stride, Rows, Columns, RegionX, RegionY, RegionWidth, RegionHeight];

    /// <summary>A layout from its <c>{bag}Layout</c> column value.</summary>
    public static BagLayout Decode(ReadOnlySpan<int> v)
    {
        if (v.Length != EncodedLength)
            throw new ArgumentException($"A bag layout has {EncodedLength} values, got {v.Length}.");
        return new BagLayout(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);
    }

    /// <summary>Whether the analysed region lies inside a <paramref name="width"/> × <paramref name="height"/>
    /// plane.</summary>
    public bool RegionFits(int width, int height) =>
        RegionX >= 0 && RegionY >= 0 && RegionX + RegionWidth <= width && RegionY + RegionHeight <= height;

    /// <summary>Top-left corner of patch <paramref name="index"/> in image pixels.</summary>
    public (int X, int Y) Origin(int index) => (RegionX + index % Columns * Stride, RegionY + index / Columns * Stride);
}
