using Amil.MLNet.Transforms.Bagging;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using static TorchSharp.torch;

namespace Amil.MLNet.Trainers.Scoring;

/// <summary>The row mapping that scores a bag with the saved network: class probabilities, predicted index, the
/// localization map (<see cref="MapKind"/>: attention, contribution, class attention or Grad-CAM) and, for
/// class-aware networks (additive MIL, CLAM), every class's map.</summary>
[CustomMappingFactoryAttribute(ContractName)]
internal sealed class AttentionMilScoringMappingFactory
    : CustomMappingFactory<AttentionMilScoringMappingFactory.Input, AttentionMilScoringMappingFactory.Output>
{
    public const string ContractName = "Amil.AttentionMilScoring.v1";

    /// <summary>Most classes a model may have (one output slot each).</summary>
    public const int MaxClasses = 16;

    internal const string BagColumn = "__AmilScoreBag",
        LayoutColumn = "__AmilScoreBagLayout",
        StateColumn = "__AmilNetworkState";
    internal const string ProbabilityPrefix = "__AmilP",
        PredictedIndexColumn = "__AmilPredictedIndex",
        AttentionColumn = "__AmilAttention",
        ClassMapsColumn = "__AmilClassMaps";

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
        [ColumnName(ProbabilityPrefix + "0")]
        public float P0 { get; set; }

        [ColumnName(ProbabilityPrefix + "1")]
        public float P1 { get; set; }

        [ColumnName(ProbabilityPrefix + "2")]
        public float P2 { get; set; }

        [ColumnName(ProbabilityPrefix + "3")]
        public float P3 { get; set; }

        [ColumnName(ProbabilityPrefix + "4")]
        public float P4 { get; set; }

        [ColumnName(ProbabilityPrefix + "5")]
        public float P5 { get; set; }

        [ColumnName(ProbabilityPrefix + "6")]
        public float P6 { get; set; }

        [ColumnName(ProbabilityPrefix + "7")]
        public float P7 { get; set; }

        [ColumnName(ProbabilityPrefix + "8")]
        public float P8 { get; set; }

        [ColumnName(ProbabilityPrefix + "9")]
        public float P9 { get; set; }

        [ColumnName(ProbabilityPrefix + "10")]
        public float P10 { get; set; }

        [ColumnName(ProbabilityPrefix + "11")]
        public float P11 { get; set; }

        [ColumnName(ProbabilityPrefix + "12")]
        public float P12 { get; set; }

        [ColumnName(ProbabilityPrefix + "13")]
        public float P13 { get; set; }

        [ColumnName(ProbabilityPrefix + "14")]
        public float P14 { get; set; }

        [ColumnName(ProbabilityPrefix + "15")]
        public float P15 { get; set; }

        [ColumnName(PredictedIndexColumn)]
        public uint PredictedIndex { get; set; }

        [ColumnName(AttentionColumn)]
        public float[] Attention { get; set; } = [];

        /// <summary>Class-aware networks: every class's map (C × N, class-major); empty otherwise.</summary>
        [ColumnName(ClassMapsColumn)]
        public float[] ClassMaps { get; set; } = [];

        internal void SetProbabilities(ReadOnlySpan<float> p)
        {
            Span<float> all = stackalloc float[MaxClasses];
            p.CopyTo(all);
            (P0, P1, P2, P3, P4, P5, P6, P7) = (all[0], all[1], all[2], all[3], all[4], all[5], all[6], all[7]);
            (P8, P9, P10, P11, P12, P13, P14, P15) = (
                all[8],
                all[9],
                all[10],
                all[11],
                all[12],
                all[13],
                all[14],
                all[15]
            );
        }
    }

    public static void Map(Input input, Output output)
    {
        var layout = BagLayout.Decode(input.Layout);
        var (probabilities, map, classMaps) = NetworkCache.Use(
            input.State,
            network =>
            {
                // A feature model's bags differ in tile side (slides at other scales tile at other level-0 sizes);
                // only a pixel network needs the patch size it was trained on.
                bool pixels = network.Spec.Architecture != Networks.NetworkArchitecture.FeatureAttentionMil;
                if (pixels && (layout.PatchSize != network.Spec.PatchSize || layout.Channels != 3))
                    throw new ArgumentException(
                        $"The model was trained on 3×{network.Spec.PatchSize}×{network.Spec.PatchSize} patches but "
                            + $"got {layout.Channels}×{layout.PatchSize}×{layout.PatchSize}; bag images with the "
                            + "model's patch size."
                    );
                return BagScorer.ScoreAll(network, input.Bag, layout);
            }
        );
        output.SetProbabilities(probabilities);
        output.PredictedIndex = (uint)BagScorer.ArgMax(probabilities);
        output.Attention = map;
        output.ClassMaps = classMaps ?? [];
    }

    public override Action<Input, Output> GetMapping() => Map;
}
