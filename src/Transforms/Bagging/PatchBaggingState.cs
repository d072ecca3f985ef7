using Amil.MLNet.Transforms.Persistence;

namespace Amil.MLNet.Transforms.Bagging;

/// <summary>Encodes the cutting settings of <see cref="PatchBaggingOptions"/> into a state vector saved in
/// model.zip: crop, patch, stride, resize, pixel scale and offset, small-image policy, then (version 2) the stain
/// method, its reference's value count and values. Version 1 files read as colours as scanned.</summary>
internal static class PatchBaggingState
{
    private const int Version = 2;

    public static float[] Encode(PatchBaggingOptions o) =>
        StateBlob.Create(
            StateKind.PatchBagging,
            Version,
            [
                o.CropHeight ?? 0,
                o.CropWidth ?? 0,
                o.PatchSize,
                o.Stride,
                o.ResizeWidth ?? 0,
                o.ResizeHeight ?? 0,
                o.PixelScale,
                o.PixelOffset,
                (float)o.SmallImages,
                .. StainState.Encode(o.Stain),
            ]
        );

    public static PatchBaggingOptions Decode(ReadOnlySpan<float> blob)
    {
        var v = StateBlob.Open(blob, StateKind.PatchBagging, Version, out int version);
        int at = 9;
        static int? Optional(float x) => x > 0 ? (int)x : null;
        return new PatchBaggingOptions
        {
            CropHeight = Optional(v[0]),
            CropWidth = Optional(v[1]),
            PatchSize = (int)v[2],
            Stride = (int)v[3],
            ResizeWidth = Optional(v[4]),
            ResizeHeight = Optional(v[5]),
            PixelScale = v[6],
            PixelOffset = v[7],
            SmallImages = (SmallImagePolicy)(int)v[8],
            Stain = version >= 2 ? StainState.Decode(v, ref at, "bagging") : null,
        };
    }
}
