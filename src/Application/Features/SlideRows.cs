using Amil.MLNet.Data.Datasets;
using Microsoft.ML;

namespace Amil.MLNet.Application.Features;

/// <summary>Labelled slides as ML.NET rows for training: the slide path, its annotated regions (for TileSlides with
/// <see cref="RegionsColumn"/>) and the label as a key of the sorted class names; TileSlides adds the bag.</summary>
internal sealed class SlideRows
{
    /// <summary>Each slide's annotation file (its mask source), "" where it has none.</summary>
    public const string RegionsColumn = "Regions";

    private readonly MLContext _ml;
    private readonly ITransformer _labelKeys;

    public SlideRows(MLContext ml, IReadOnlyList<string> classes)
    {
        _ml = ml;
        _labelKeys = ml
            .Transforms.Conversion.MapValueToKey(
                "Label",
                keyData: ml.Data.LoadFromEnumerable(classes.Select(c => new LabelRow { Label = c }))
            )
            .Fit(ml.Data.LoadFromEnumerable(Array.Empty<Row>()));
    }

    public IDataView View(IEnumerable<ImageRecord> slides) =>
        _labelKeys.Transform(
            _ml.Data.LoadFromEnumerable(
                slides
                    .Select(r => new Row
                    {
                        SlidePath = r.Path,
                        Regions = r.MaskPath ?? "",
                        Label = r.Label,
                    })
                    .ToList()
            )
        );

    private sealed class Row
    {
        public string SlidePath { get; set; } = "";
        public string Regions { get; set; } = "";
        public string Label { get; set; } = "";
    }

    private sealed class LabelRow
    {
        public string Label { get; set; } = "";
    }
}
