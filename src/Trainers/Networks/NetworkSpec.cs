namespace Amil.MLNet.Trainers.Networks;

/// <summary>Everything needed to rebuild an <see cref="AttentionMilNetwork"/> before loading its weights.</summary>
public readonly record struct NetworkSpec(int PatchSize, int EmbeddingSize, int AttentionSize, bool Gated, int Classes)
{
    public float[] Encode() => [PatchSize, EmbeddingSize, AttentionSize, Gated ? 1 : 0, Classes];

    public const int EncodedLength = 5;

    public static NetworkSpec Decode(ReadOnlySpan<float> v) => new((int)v[0], (int)v[1], (int)v[2], v[3] != 0, (int)v[4]);
}
