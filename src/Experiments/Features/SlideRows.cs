using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Transforms.Bagging;
using Microsoft.ML;

namespace Amil.MLNet.Experiments.Features;

/// <summary>Slides as ML.NET rows for the attention head: one bag of tile features per slide (the tiles in a row of
/// the bag grid, their places kept by the feature bag), with the label as a key of the sorted class names.</summary>
internal sealed class SlideRows
{
    public const string FeaturesColumn = "Features";

    private readonly MLContext _ml;
    private readonly ITransformer _labelKeys;
    private readonly IReadOnlyDictionary<string, SlideFeatureBag> _bags;

    public SlideRows(MLContext ml, IReadOnlyList<string> classes, IReadOnlyDictionary<string, SlideFeatureBag> bags)
    {
        _ml = ml;
        _bags = bags;
        _labelKeys = ml
            .Transforms.Conversion.MapValueToKey(
                "Label",
                keyData: ml.Data.LoadFromEnumerable(classes.Select(c => new LabelRow { Label = c }))
            )
            .Fit(ml.Data.LoadFromEnumerable(Array.Empty<Row>()));
    }

    /// <summary>The bag grid of a slide's features: its tiles side by side in one row.</summary>
    public static BagLayout Layout(SlideFeatureBag bag)
    {
        int side = bag.Tiles[0].Side;
        return new BagLayout(3, side, side, 1, bag.Tiles.Count, 0, 0, side * bag.Tiles.Count, side);
    }

    public IDataView View(IEnumerable<ImageRecord> slides) =>
        _labelKeys.Transform(
            _ml.Data.LoadFromEnumerable(
                slides
                    .Select(r => new Row
                    {
                        SlidePath = r.Path,
                        Label = r.Label,
                        Patient = r.Patient ?? "",
                        Features = _bags[r.Path].Features,
                        FeaturesLayout = Layout(_bags[r.Path]).Encode(),
                    })
                    .ToList()
            )
        );

    private sealed class Row
    {
        public string SlidePath { get; set; } = "";
        public string Label { get; set; } = "";
        public string Patient { get; set; } = "";
        public float[] Features { get; set; } = [];
        public int[] FeaturesLayout { get; set; } = [];
    }

    private sealed class LabelRow
    {
        public string Label { get; set; } = "";
    }
}
