using Amil.MLNet.Data.Datasets;

namespace Amil.MLNet.Experiments;

/// <summary>Scores labelled images with a model and computes their metrics.</summary>
public static class Evaluation
{
    public static ClassificationMetrics Evaluate(AmilModel model, IReadOnlyList<ImageRecord> images)
    {
        var classIndex = model.ClassNames.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        foreach (var r in images)
            if (!classIndex.ContainsKey(r.Label))
                throw new DatasetException($"{r.Path}: class '{r.Label}' is not one the model knows ({string.Join(", ", model.ClassNames)}); evaluate on data with the model's classes.");
        var scored = model.Score(images.Select(r => r.Path)).ToList();
        return ClassificationMetrics.Compute(scored, images.Select(r => classIndex[r.Label]).ToList(), images.Select(r => r.Patient).ToList(), model.ClassNames.Count);
    }
}
