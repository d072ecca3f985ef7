using Amil.MLNet.Transforms.Images;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace Amil.MLNet.Transforms.Bagging;

/// <summary>The row mapping behind <see cref="PatchBaggingEstimator"/>: image path + saved settings → bag columns.</summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class PatchBaggingMappingFactory : CustomMappingFactory<PatchBaggingMappingFactory.Input, PatchBaggingMappingFactory.Output>
{
    public const string ContractName = "Amil.PatchBagging.v1";
    internal const string PathColumn = "__AmilImagePath", StateColumn = "__AmilBaggingState";
    internal const string BagColumn = "__AmilBag", LayoutColumn = "__AmilBagLayout", CoordinatesColumn = "__AmilBagCoordinates", FrameColumn = "__AmilBagFrame";

    public sealed class Input
    {
        [ColumnName(PathColumn)] public string Path { get; set; } = "";
        [ColumnName(StateColumn)] public float[] State { get; set; } = [];
    }

    public sealed class Output
    {
        [ColumnName(BagColumn)] public float[] Bag { get; set; } = [];
        [ColumnName(LayoutColumn)] public int[] Layout { get; set; } = [];
        [ColumnName(CoordinatesColumn)] public int[] Coordinates { get; set; } = [];
        [ColumnName(FrameColumn)] public int[] Frame { get; set; } = [];
    }

    public static void Map(Input input, Output output)
    {
        var options = PatchBaggingState.Decode(input.State);
        var bag = PatchCutter.Cut(RgbImageReader.Read(input.Path), options, input.Path);
        output.Bag = bag.Pixels;
        output.Layout = bag.Layout.Encode();
        output.Coordinates = bag.Coordinates();
        output.Frame = bag.Frame.Encode();
    }

    public override Action<Input, Output> GetMapping() => Map;
}
