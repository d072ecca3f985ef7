using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Encoders;
using Amil.MLNet.Transforms.Persistence;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace Amil.MLNet.Transforms.Features;

/// <summary>The row mapping behind <see cref="PatchFeatureEstimator"/>: bag + layout + saved settings →
/// features.</summary>
[CustomMappingFactoryAttribute(ContractName)]
internal sealed class PatchFeatureMappingFactory
    : CustomMappingFactory<PatchFeatureMappingFactory.Input, PatchFeatureMappingFactory.Output>
{
    public const string ContractName = "Amil.PatchFeatures.v1";
    internal const string BagColumn = "__AmilFeatureBag",
        LayoutColumn = "__AmilFeatureBagLayout",
        StateColumn = "__AmilFeatureState";
    internal const string FeaturesColumn = "__AmilFeatures";

    public sealed class Input
    {
        [ColumnName(BagColumn)]
        public float[] Bag { get; set; } = [];

        [ColumnName(LayoutColumn)]
        public int[] Layout { get; set; } = [];

        [ColumnName(StateColumn)]
        public float[] State { get; set; } = [];
    }

    public sealed class Output
    {
        [ColumnName(FeaturesColumn)]
        public float[] Features { get; set; } = [];
    }

    public static void Map(Input input, Output output)
    {
        var (batchSize, toByteScale, encoder, sha256) = PatchFeatureState.Decode(input.State);
        EncoderProvenance.Check(encoder, sha256);
        var extractor = PatchFeatureExtractor.Get(encoder);
        output.Features = extractor.Extract(input.Bag, BagLayout.Decode(input.Layout), toByteScale, batchSize);
    }

    public override Action<Input, Output> GetMapping() => Map;
}

/// <summary>The feature settings as a saved state vector: [batch size, to-byte scale, encoder, its SHA-256] (the
/// texts as <see cref="StateText"/>; version 1, always ResNet18, has the first two).</summary>
internal static class PatchFeatureState
{
    private const int Version = 2;

    public static float[] Encode(PatchFeatureOptions o)
    {
        return StateBlob.Create(
            StateKind.PatchFeatures,
            Version,
            [o.BatchSize, o.ToByteScale, .. EncoderProvenance.Encode(o.Extractor)]
        );
    }

    public static (int BatchSize, float ToByteScale, string Encoder, string Sha256) Decode(float[] blob)
    {
        var payload = StateBlob.Open(blob, StateKind.PatchFeatures, Version, out int version);
        if (version < 2)
            return ((int)payload[0], payload[1], PatchFeatureExtractor.ResNet18, "");
        int at = 2;
        var (encoder, sha256) = EncoderProvenance.Decode(payload, ref at);
        return ((int)payload[0], payload[1], encoder, sha256);
    }
}
