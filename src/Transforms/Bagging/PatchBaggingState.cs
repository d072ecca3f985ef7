using Amil.MLNet.Transforms.Persistence;
using Amil.MLNet.Transforms.Stain;

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
                (float)(o.Stain?.Method ?? StainMethod.None),
                o.Stain?.Values.Count ?? 0,
                .. o.Stain?.Values ?? [],
            ]
        );

    public static PatchBaggingOptions Decode(ReadOnlySpan<float> blob)
    {
        var v = StateBlob.Open(blob, StateKind.PatchBagging, Version, out int version);
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
            Stain = version >= 2 ? StainOf(v[9..]) : null,
        };
    }

    private static StainProfile? StainOf(ReadOnlySpan<float> v)
    {
        if (v.Length < 2)
            throw new InvalidDataException("The model's saved bagging is damaged (it ends before its stain).");
        var method = (StainMethod)(int)v[0];
        if (method == StainMethod.None)
            return null;
        int count = (int)v[1];
        if (count < 0 || 2 + count > v.Length)
            throw new InvalidDataException(
                "The model's saved bagging is damaged (its stain reference runs past its end)."
            );
        return new StainProfile(method, v.Slice(2, count).ToArray());
    }
}
