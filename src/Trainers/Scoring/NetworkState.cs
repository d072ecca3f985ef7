using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Transforms.Persistence;

namespace Amil.MLNet.Trainers.Scoring;

/// <summary>
/// A trained network as one float vector stored in model.zip: [spec…, id (4 × 16 bits), weights…].
/// The id is a hash of the weights, so a loaded model finds its already-built network without rehashing per row.
/// </summary>
internal static class NetworkState
{
    // 2: spec gained architecture and the CNN input grid; 3: feature size and dropout; 4: MIL head and CLAM's k;
    // 5: additive MIL's classifier hidden units; 6: the spec by key (fields added later need no new version)
    private const int Version = 6;
    private const int IdLength = 4;

    public static float[] Encode(NetworkSpec spec, float[] weights)
    {
        ulong id = Hash(weights);
        var encoded = spec.Encode();
        var payload = new float[encoded.Length + IdLength + weights.Length];
        encoded.CopyTo(payload, 0);
        for (int i = 0; i < IdLength; i++)
            payload[encoded.Length + i] = (id >> (16 * i)) & 0xFFFF;
        weights.CopyTo(payload, encoded.Length + IdLength);
        return StateBlob.Create(StateKind.AttentionMilNetwork, Version, payload);
    }

    public static (NetworkSpec Spec, ulong Id, ReadOnlyMemory<float> Weights) Decode(float[] blob)
    {
        var payload = StateBlob.Open(blob, StateKind.AttentionMilNetwork, Version, out int version);
        // Versions 1–5 wrote the spec by position, shorter in older ones (5, 9, 11, 13, 14 values).
        int positional = version switch
        {
            1 => 5,
            2 => 9,
            3 => 11,
            4 => 13,
            _ => 14,
        };
        int specLength = version >= 6 ? NetworkSpec.Length(payload, -1) : positional;
        if (specLength < 0 || payload.Length < specLength + IdLength)
            throw new InvalidDataException("The saved network state is truncated.");
        var spec = NetworkSpec.Decode(payload[..specLength]);
        ulong id = 0;
        for (int i = 0; i < IdLength; i++)
            id |= (ulong)payload[specLength + i] << (16 * i);
        int start = StateBlob.HeaderLength + specLength + IdLength;
        return (spec, id, blob.AsMemory(start));
    }

    /// <summary>The id: a checksum of the weights, checked again when a network is rebuilt from a loaded
    /// model.</summary>
    public static ulong Hash(ReadOnlySpan<float> values)
    {
        ulong h = 14695981039346656037UL; // FNV-1a
        foreach (var v in values)
        {
            h ^= BitConverter.SingleToUInt32Bits(v);
            h *= 1099511628211UL;
        }
        return h ^ (ulong)values.Length;
    }
}
