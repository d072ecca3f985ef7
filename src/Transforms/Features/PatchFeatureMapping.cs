using Amil.MLNet.Transforms.Bagging;
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
        var (batchSize, toByteScale) = PatchFeatureState.Decode(input.State);
        output.Features = PatchFeatureExtractor
            .Get()
            .Extract(input.Bag, BagLayout.Decode(input.Layout), toByteScale, batchSize);
    }

    public override Action<Input, Output> GetMapping() => Map;
}

/// <summary>The feature settings as a saved state vector: [batch size, to-byte scale] (extractor is always ResNet18 in
/// version 1).</summary>
internal static class PatchFeatureState
{
    private const int Version = 1;

    public static float[] Encode(PatchFeatureOptions o) =>
        Persistence.StateBlob.Create(Persistence.StateKind.PatchFeatures, Version, [o.BatchSize, o.ToByteScale]);

    public static (int BatchSize, float ToByteScale) Decode(float[] blob)
    {
        var payload = Persistence.StateBlob.Open(blob, Persistence.StateKind.PatchFeatures, Version, out _);
        return ((int)payload[0], payload[1]);
    }
}
