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
    // 5: additive MIL's classifier hidden units
    private const int Version = 5;
    private const int IdLength = 4;

    public static float[] Encode(NetworkSpec spec, float[] weights)
    {
        ulong id = Hash(weights);
        var payload = new float[NetworkSpec.EncodedLength + IdLength + weights.Length];
        spec.Encode().CopyTo(payload, 0);
        for (int i = 0; i < IdLength; i++)
            payload[NetworkSpec.EncodedLength + i] = (id >> (16 * i)) & 0xFFFF;
        weights.CopyTo(payload, NetworkSpec.EncodedLength + IdLength);
        return StateBlob.Create(StateKind.AttentionMilNetwork, Version, payload);
    }

    public static (NetworkSpec Spec, ulong Id, ReadOnlyMemory<float> Weights) Decode(float[] blob)
    {
        var payload = StateBlob.Open(blob, StateKind.AttentionMilNetwork, Version, out int version);
        // Older specs were shorter (version 1: 5 values, 2: 9, 3: 11, 4: 13); the missing fields take their defaults.
        int specLength = version switch
        {
            1 => 5,
            2 => 9,
            3 => 11,
            4 => 13,
            _ => NetworkSpec.EncodedLength,
        };
        if (payload.Length < specLength + IdLength)
            throw new InvalidDataException("The saved network state is truncated.");
        float[] specValues = [.. payload[..specLength], .. NetworkSpec.LaterFieldDefaults[(specLength - 5)..]];
        var spec = NetworkSpec.Decode(specValues);
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
