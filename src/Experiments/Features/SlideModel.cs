using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Trainers;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Amil.MLNet.Experiments.Features;

/// <summary>A slide-level model.zip (the attention head on bags of tile features, written by train on a whole-slide
/// dataset) loaded for scoring slides: probabilities, the predicted class and the map over the slide's tiles
/// (coordinates at level 0).</summary>
public sealed class SlideModel
{
    private readonly MLContext _ml;
    private readonly ITransformer _model;

    private SlideModel(MLContext ml, ITransformer model, IReadOnlyList<string> classNames)
    {
        _ml = ml;
        _model = model;
        ClassNames = classNames;
    }

    /// <summary>A head just trained (by the slide training job), without a trip through the file.</summary>
    internal SlideModel(AttentionMilTransformer head)
        : this(new MLContext(seed: 1).RegisterAmilComponents(), head, head.ClassNames) { }

    public IReadOnlyList<string> ClassNames { get; }

    public static SlideModel Load(string path)
    {
        var loaded = AmilModel.LoadTransformer(path, out var ml, out var input);
        // A slide model reads rows of tile features (the schema it was trained on); an image model reads paths.
        if (input?.GetColumnOrNull(SlideRows.FeaturesColumn) is null || input.GetColumnOrNull("SlidePath") is null)
            throw new InvalidDataException(
                $"{path}: an image model, not a slide-level one; score images with it, or pass a model.zip that "
                    + "train wrote on a whole-slide dataset."
            );
        var output = loaded.GetOutputSchema(input);
        if (output.GetColumnOrNull("PredictedLabel") is not { } predicted)
            throw new InvalidDataException($"{path}: a slide model without predictions; pass a model.zip from train.");
        VBuffer<ReadOnlyMemory<char>> names = default;
        predicted.GetKeyValues(ref names);
        return new SlideModel(ml, loaded, names.DenseValues().Select(n => n.ToString()).ToArray());
    }

    /// <summary>Scores slides (same order) from their bags of tile features.</summary>
    public IReadOnlyList<ScoredImage> Score(
        IReadOnlyList<ImageRecord> slides,
        IReadOnlyDictionary<string, SlideFeatureBag> bags
    )
    {
        var rows = new SlideRows(_ml, ClassNames, bags);
        var scored = _model.Transform(rows.View(slides));
        var kind = Enum.GetValues<MapKind>().First(k => scored.Schema.GetColumnOrNull(k.ColumnName()) is not null);
        var score = scored.Schema["Score"];
        var map = scored.Schema[kind.ColumnName()];
        using var cursor = scored.GetRowCursor([score, map]);
        var scoreGetter = cursor.GetGetter<VBuffer<float>>(score);
        var mapGetter = cursor.GetGetter<VBuffer<float>>(map);
        VBuffer<float> probabilities = default,
            values = default;
        var result = new List<ScoredImage>();
        for (int i = 0; cursor.MoveNext(); i++)
        {
            scoreGetter(ref probabilities);
            mapGetter(ref values);
            var p = probabilities.DenseValues().ToArray();
            var bag = bags[slides[i].Path];
            result.Add(
                NonFiniteScoreException.Checked(
                    new ScoredImage(
                        slides[i].Path,
                        Array.IndexOf(p, p.Max()),
                        p,
                        values.DenseValues().ToArray(),
                        bag.Tiles.SelectMany(t => new[] { t.X, t.Y }).ToArray(),
                        SlideRows.Layout(bag),
                        kind
                    )
                )
            );
        }
        return result;
    }

    /// <summary>Slide-level metrics of slides already scored (same order).</summary>
    public ClassificationMetrics Metrics(IReadOnlyList<ImageRecord> slides, IReadOnlyList<ScoredImage> scored)
    {
        var classes = ClassNames.ToList();
        foreach (var r in slides)
            if (!classes.Contains(r.Label))
                throw new DatasetException(
                    $"{r.Path}: class '{r.Label}' is not one the model knows ({string.Join(", ", classes)}); "
                        + "evaluate on slides with the model's classes."
                );
        return ClassificationMetrics.Compute(
            scored,
            slides.Select(r => classes.IndexOf(r.Label)).ToList(),
            slides.Select(r => r.Patient).ToList(),
            classes.Count
        );
    }
}
