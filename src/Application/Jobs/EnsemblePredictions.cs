using Amil.MLNet.Data.Datasets;
using static Amil.MLNet.Application.Jobs.PredictJob;

namespace Amil.MLNet.Application.Jobs;

/// <summary>
/// Several models' predictions of the same items (e.g. the models of a cross-validation's folds) as one: the mean of
/// their calibrated probabilities, the predicted class its arg max, the uncertainty the entropy of the mean (over
/// ln C), and the disagreement the part of it the models do not share (mutual information: the entropy of the mean
/// minus the mean of the entropies, over ln C), which grows where the models disagree rather than where each is
/// unsure. Maps are averaged patch by patch when every model cut the same patches, else the first model's is kept.
/// </summary>
internal static class EnsemblePredictions
{
    public static List<Prediction> Combine(IReadOnlyList<List<Prediction>> perModel, List<SkippedImage> skipped)
    {
        var byPath = perModel.Select(ps => ps.ToDictionary(p => p.Path, StringComparer.Ordinal)).ToList();
        var combined = new List<Prediction>();
        foreach (var first in perModel[0])
        {
            var all = byPath.Select(d => d.GetValueOrDefault(first.Path)).ToList();
            if (all.Any(p => p is null))
            {
                skipped.Add(new SkippedImage(first.Path, "not scored by every model of the ensemble"));
                continue;
            }
            combined.Add(Mean(all!));
        }
        return combined;
    }

    private static Prediction Mean(IReadOnlyList<Prediction> all)
    {
        var classes = all[0].Probabilities.Keys.ToList();
        float[] Vector(Prediction p) => [.. classes.Select(c => p.Probabilities[c])];
        var mean = new float[classes.Count];
        foreach (var p in all)
        {
            var v = Vector(p);
            for (int c = 0; c < mean.Length; c++)
                mean[c] += v[c] / all.Count;
        }
        double total = Maps.Metrics.Calibration.Uncertainty(mean),
            each = all.Average(p => Maps.Metrics.Calibration.Uncertainty(Vector(p)));
        bool sameGrid = all.All(p =>
            p.Patches.Count == all[0].Patches.Count
            && p.Patches.Zip(all[0].Patches).All(z => z.First.X == z.Second.X && z.First.Y == z.Second.Y)
        );
        return all[0] with
        {
            Predicted = classes[Maps.Metrics.Calibration.TopClass(mean)],
            Probabilities = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => mean[x.i]),
            Map = sameGrid
                ? $"mean of {all.Count} models' {all[0].Map}"
                : $"{all[0].Map} (first of {all.Count} models)",
            Patches = sameGrid ? MeanPatches(all) : all[0].Patches,
            Uncertainty = Math.Round(total, 4),
            Disagreement = Math.Round(Math.Max(0, total - each), 4),
            Models = all.Count,
        };
    }

    private static List<PatchValue> MeanPatches(IReadOnlyList<Prediction> all) =>
        [
            .. all[0]
                .Patches.Select(
                    (patch, i) =>
                        patch with
                        {
                            Value = all.Average(p => p.Patches[i].Value),
                            Classes = patch.Classes?.ToDictionary(
                                kv => kv.Key,
                                kv => all.Average(p => p.Patches[i].Classes?.GetValueOrDefault(kv.Key) ?? kv.Value)
                            ),
                        }
                ),
        ];
}
