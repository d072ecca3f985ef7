using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Trainers;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Amil.MLNet.Experiments.Features;

/// <summary>Scores slides with a trained attention head: probabilities, the predicted class and the map over the
/// slide's tiles (coordinates at level 0).</summary>
internal static class SlideScoring
{
    public static IReadOnlyList<ScoredImage> Score(
        MLContext ml,
        AttentionMilTransformer head,
        SlideRows rows,
        IReadOnlyList<ImageRecord> slides,
        IReadOnlyDictionary<string, SlideFeatureBag> bags
    )
    {
        var scored = head.Transform(rows.View(slides));
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
                new ScoredImage(
                    slides[i].Path,
                    Array.IndexOf(p, p.Max()),
                    p,
                    values.DenseValues().ToArray(),
                    bag.Tiles.SelectMany(t => new[] { t.X, t.Y }).ToArray(),
                    SlideRows.Layout(bag),
                    kind
                )
            );
        }
        return result;
    }
}
