using Amil.MLNet.Transforms.Images;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace Amil.MLNet.Transforms.Bagging;

/// <summary>The row mapping behind <see cref="PatchBaggingEstimator"/>: image path + saved settings → bag
/// columns.</summary>
[CustomMappingFactoryAttribute(ContractName)]
internal sealed class PatchBaggingMappingFactory
    : CustomMappingFactory<PatchBaggingMappingFactory.Input, PatchBaggingMappingFactory.Output>
{
    public const string ContractName = "Amil.PatchBagging.v1";
    internal const string PathColumn = "__AmilImagePath",
        StateColumn = "__AmilBaggingState";
    internal const string BagColumn = "__AmilBag",
        LayoutColumn = "__AmilBagLayout",
        CoordinatesColumn = "__AmilBagCoordinates",
        FrameColumn = "__AmilBagFrame";

    public sealed class Input
    {
        [ColumnName(PathColumn)]
        public string Path { get; set; } = "";

        [ColumnName(StateColumn)]
        public float[] State { get; set; } = [];
    }

    public sealed class Output
    {
        [ColumnName(BagColumn)]
        public float[] Bag { get; set; } = [];

        [ColumnName(LayoutColumn)]
        public int[] Layout { get; set; } = [];

        [ColumnName(CoordinatesColumn)]
        public int[] Coordinates { get; set; } = [];

        [ColumnName(FrameColumn)]
        public int[] Frame { get; set; } = [];
    }

    public static void Map(Input input, Output output) =>
        Fill(output, RgbImageReader.Read(input.Path), input.State, input.Path);

    public override Action<Input, Output> GetMapping() => Map;

    /// <summary>Cuts <paramref name="image"/> with the saved settings into the output columns.</summary>
    internal static void Fill(Output output, RgbImage image, float[] state, string source)
    {
        var bag = PatchCutter.Cut(image, PatchBaggingState.Decode(state), source);
        output.Bag = bag.Pixels;
        output.Layout = bag.Layout.Encode();
        output.Coordinates = bag.Coordinates();
        output.Frame = bag.Frame.Encode();
    }
}

/// <summary>The row mapping for encoded image bytes (<c>ml.Transforms.LoadRawImageBytes</c>): bytes + settings → bag
/// columns.</summary>
[CustomMappingFactoryAttribute(ContractName)]
internal sealed class PatchBaggingBytesMappingFactory
    : CustomMappingFactory<PatchBaggingBytesMappingFactory.Input, PatchBaggingMappingFactory.Output>
{
    public const string ContractName = "Amil.PatchBaggingBytes.v1";
    internal const string BytesColumn = "__AmilImageBytes";

    public sealed class Input
    {
        [ColumnName(BytesColumn)]
        public byte[] Bytes { get; set; } = [];

        [ColumnName(PatchBaggingMappingFactory.StateColumn)]
        public float[] State { get; set; } = [];
    }

    public static void Map(Input input, PatchBaggingMappingFactory.Output output) =>
        PatchBaggingMappingFactory.Fill(
            output,
            RgbImageReader.Decode(input.Bytes, "image bytes"),
            input.State,
            "image bytes"
        );

    public override Action<Input, PatchBaggingMappingFactory.Output> GetMapping() => Map;
}
