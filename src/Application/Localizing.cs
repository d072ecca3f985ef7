using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Maps.Heatmaps;
using Amil.MLNet.Maps.Metrics;

namespace Amil.MLNet.Application;

/// <summary>Scores images that have masks with a model and collects its maps against the masks.</summary>
public static class Localizing
{
    /// <param name="tumourClasses">When given, each of these classes' (normalised) map — its own for class-aware
    /// models — is multiplied by the model's probability of it, and the products summed: a class-aware map that fades
    /// on images the model calls tumour-free. Null: the map as it is.</param>
    /// <param name="mapClasses">Class-aware models only: score the map of these classes (summed) in every image,
    /// instead of the map of the predicted class.</param>
    public static LocalizationEvaluator Evaluate(
        AmilModel model,
        IReadOnlyList<ImageRecord> images,
        MapNormalization normalization,
        IReadOnlyList<string>? tumourClasses = null,
        IReadOnlyList<string>? mapClasses = null
    )
    {
        var withMasks = images.Where(r => r.MaskPath is not null).ToList();
        return Evaluate(
            model.ClassNames,
            withMasks.Zip(model.Score(withMasks.Select(r => r.Path))),
            normalization,
            tumourClasses,
            mapClasses
        );
    }

    /// <summary>The same for images already scored by a model with these classes; images without a mask are left
    /// out.</summary>
    public static LocalizationEvaluator Evaluate(
        IReadOnlyList<string> classNames,
        IEnumerable<(ImageRecord Record, ScoredImage Scored)> scored,
        MapNormalization normalization,
        IReadOnlyList<string>? tumourClasses = null,
        IReadOnlyList<string>? mapClasses = null
    )
    {
        var classIndices = tumourClasses?.Select(c => ClassIndex(classNames, c, "--weight-by-probability")).ToArray();
        var mapIndices = mapClasses?.Select(c => ClassIndex(classNames, c, "--map-class")).ToArray();
        var evaluator = new LocalizationEvaluator(normalization);
        foreach (var (record, image) in scored)
        {
            if (record.MaskPath is null)
                continue;
            var mask = Mask(record.MaskPath, image);
            if (mapIndices is not null)
            {
                float weight = classIndices is null
                    ? 1f
                    : Math.Clamp(classIndices.Sum(i => image.Probabilities[i]), 0f, 1f);
                evaluator.Add(
                    new PatchMap(ClassMap(image, mapIndices), image.Layout),
                    mask,
                    record.Label,
                    weight,
                    record.Patient
                );
            }
            else if (tumourClasses is not null)
                evaluator.Add(
                    TumourEvidence
                        .TimesProbability(image, classNames, tumourClasses)
                        .Select(p => (new PatchMap(p.Map, image.Layout), p.Weight))
                        .ToList(),
                    mask,
                    record.Label,
                    record.Patient
                );
            else
                evaluator.Add(image.PatchMap(), mask, record.Label, patient: record.Patient);
        }
        return evaluator;
    }

    /// <summary>The sum of the chosen classes' maps.</summary>
    private static float[] ClassMap(ScoredImage image, int[] classes)
    {
        if (image.ClassMaps is null)
            throw new ArgumentException(
                image.MapKind.HasClassMaps()
                    ? "--map-class: this model was saved before per-class maps were kept; train it again."
                    : "--map-class needs a class-aware model (train --pooling additive or clam); this model's map is "
                        + $"{image.MapKind.Name()}, one map for the predicted class."
            );
        var sum = new float[image.Map.Length];
        foreach (int c in classes)
        {
            var map = image.MapOf(c);
            for (int i = 0; i < sum.Length; i++)
                sum[i] += map[i];
        }
        return sum;
    }

    private static int ClassIndex(IReadOnlyList<string> classNames, string className, string option)
    {
        int index = classNames.ToList().IndexOf(className);
        return index >= 0
            ? index
            : throw new ArgumentException(
                $"{option}: '{className}' is not a class of the model ({string.Join(", ", classNames)})."
            );
    }

    /// <summary>The mask in the frame the model saw its image in (after any resize or padding).</summary>
    public static TumourMask Mask(string maskPath, ScoredImage scored)
    {
        var mask = TumourMask.Read(maskPath);
        return scored.Frame is { } frame ? mask.Prepared(frame) : mask;
    }

    /// <summary>The images of a split that carry masks; a clear error when there are none.</summary>
    public static IReadOnlyList<ImageRecord> WithMasks(IReadOnlyList<ImageRecord> images, string datasetName)
    {
        var withMasks = images.Where(r => r.MaskPath is not null).ToList();
        return withMasks.Count > 0
            ? withMasks
            : throw new DatasetException(
                $"Dataset '{datasetName}' has no tumour masks for these images; localization needs masks/ beside "
                    + "the images, mirroring their paths "
                    + "(PNG, tumour > 127). The synthetic datasets have them."
            );
    }
}

/// <summary>The localization block: one set of scores per method, with a per-class breakdown.</summary>
public sealed record LocalizationBlock(
    [property: System.Text.Json.Serialization.JsonPropertyName("scores")] LocalizationScores Scores,
    [property: System.Text.Json.Serialization.JsonPropertyName("per_class")]
        IReadOnlyDictionary<string, LocalizationScores>? PerClass
)
{
    public static LocalizationBlock From(LocalizationEvaluator evaluator)
    {
        var perClass = evaluator.ScoresByClass();
        return new LocalizationBlock(evaluator.Scores(), perClass.Count > 1 ? perClass : null);
    }
}
