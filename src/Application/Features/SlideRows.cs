using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Transforms.Stain;
using Microsoft.ML;

namespace Amil.MLNet.Application.Features;

/// <summary>Labelled slides as ML.NET rows for training: the slide path, its annotated regions (for TileSlides with
/// <see cref="RegionsColumn"/>) and the label as a key of the sorted class names; TileSlides adds the bag.</summary>
internal sealed class SlideRows
{
    /// <summary>Each slide's annotation file (its mask source), "" where it has none.</summary>
    public const string RegionsColumn = "Regions";

    /// <summary>A training copy's colour augmentation ("hed 0.05 #1"), "" for the slide as it is.</summary>
    public const string AugmentationColumn = "Augmentation";

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

    /// <summary>The slides as rows, then each slide again for every one of <paramref name="copies"/> (its recoloured
    /// training copies).</summary>
    public IDataView View(IEnumerable<ImageRecord> slides, IReadOnlyList<ColourAugmentation>? copies = null)
    {
        var list = slides.ToList();
        var rows = list.Select(r => Row.Of(r, ""))
            .Concat((copies ?? []).SelectMany(c => list.Select(r => Row.Of(r, c.ToString()))))
            .ToList();
        return _labelKeys.Transform(_ml.Data.LoadFromEnumerable(rows));
    }

    private sealed class Row
    {
        public string SlidePath { get; set; } = "";
        public string Regions { get; set; } = "";
        public string Augmentation { get; set; } = "";
        public string Label { get; set; } = "";

        public static Row Of(ImageRecord r, string augmentation) =>
            new()
            {
                SlidePath = r.Path,
                Regions = r.MaskPath ?? "",
                Augmentation = augmentation,
                Label = r.Label,
            };
    }

    private sealed class LabelRow
    {
        public string Label { get; set; } = "";
    }
}
