using Amil.MLNet.Application.Staging;
using Amil.MLNet.Data.Datasets;

namespace Amil.MLNet.Application;

/// <summary>Scores labelled images with a model and computes their metrics.</summary>
public static class Evaluation
{
    public static ClassificationMetrics Evaluate(AmilModel model, IReadOnlyList<ImageRecord> images) =>
        Evaluate(model, images, Score(model, images));

    /// <summary>Scores the images after checking that every label is one of the model's classes.</summary>
    public static IReadOnlyList<ScoredImage> Score(
        AmilModel model,
        IReadOnlyList<ImageRecord> images,
        CancellationToken cancel = default
    )
    {
        foreach (var r in images)
            if (!model.ClassNames.Contains(r.Label))
                throw new DatasetException(
                    $"{r.Path}: class '{r.Label}' is not one the model knows "
                        + $"({string.Join(", ", model.ClassNames)}); evaluate on data with the model's classes."
                );
        return model.Score(images.Select(r => r.Path)).Checked(cancel).ToList();
    }

    /// <summary>Each item's true class index among <paramref name="classNames"/>.</summary>
    internal static List<int> Truth(IReadOnlyList<string> classNames, IReadOnlyList<ImageRecord> items)
    {
        var classIndex = classNames.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        return items.Select(r => classIndex[r.Label]).ToList();
    }

    /// <summary>Metrics of images already scored (same order), so a caller that also needs the maps scores
    /// once; with the patients' pN staging when the classes are CAMELYON17's node labels.</summary>
    public static ClassificationMetrics Evaluate(
        AmilModel model,
        IReadOnlyList<ImageRecord> images,
        IReadOnlyList<ScoredImage> scored
    )
    {
        var truth = Truth(model.ClassNames, images);
        var patients = images.Select(r => r.Patient).ToList();
        return ClassificationMetrics.Compute(scored, truth, patients, model.ClassNames.Count) with
        {
            Staging = PatientStaging.Of(model.ClassNames, patients, truth, [.. scored.Select(s => s.PredictedIndex)]),
        };
    }
}
