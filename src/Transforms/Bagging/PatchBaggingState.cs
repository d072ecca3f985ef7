using Amil.MLNet.Transforms.Persistence;

namespace Amil.MLNet.Transforms.Bagging;

/// <summary>Encodes the cutting settings of <see cref="PatchBaggingOptions"/> into a state vector saved in
/// model.zip.</summary>
internal static class PatchBaggingState
{
    private const int Version = 1;

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
            ]
        );

    public static PatchBaggingOptions Decode(ReadOnlySpan<float> blob)
    {
        var v = StateBlob.Open(blob, StateKind.PatchBagging, Version, out _);
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
        };
    }
}
