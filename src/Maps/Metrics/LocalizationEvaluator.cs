using System.Text.Json.Serialization;
using Amil.MLNet.Maps.Heatmaps;

namespace Amil.MLNet.Maps.Metrics;

/// <summary>How well one method's maps find tumour, over a set of images with masks.</summary>
public sealed record LocalizationScores
{
    [JsonPropertyName("images")]
    public int Images { get; init; }

    [JsonPropertyName("positive_images")]
    public int PositiveImages { get; init; }

    [JsonPropertyName("instances")]
    public int Instances { get; init; }

    [JsonPropertyName("positive_instances")]
    public int PositiveInstances { get; init; }

    /// <summary>Patches ranked by map value; a patch is positive when ≥ 50 % of its pixels are tumour (all patches of
    /// tumour-free images are negatives).</summary>
    [JsonPropertyName("instance_auroc")]
    public double? InstanceAuroc { get; init; }

    [JsonPropertyName("instance_ap")]
    public double? InstanceAp { get; init; }

    /// <summary>Pixels of the analysed region ranked by the map value over them (overlapping patches
    /// averaged).</summary>
    [JsonPropertyName("pixel_auroc")]
    public double? PixelAuroc { get; init; }

    [JsonPropertyName("best_dice")]
    public double? BestDice { get; init; }

    [JsonPropertyName("best_dice_threshold")]
    public double? BestDiceThreshold { get; init; }

    [JsonPropertyName("best_iou")]
    public double? BestIou { get; init; }

    [JsonPropertyName("best_iou_threshold")]
    public double? BestIouThreshold { get; init; }

    /// <summary>Share of images with tumour whose map maximum lies on a positive patch (ties split evenly among the
    /// tied patches).</summary>
    [JsonPropertyName("pointing_game")]
    public double? PointingGame { get; init; }

    /// <summary>95 % intervals ([low, high]) of instance AUROC/AP, pixel AUROC, best Dice and the pointing game, from
    /// a percentile bootstrap over whole images (patients where known); absent on per-class scores.</summary>
    [JsonPropertyName("intervals")]
    public IReadOnlyDictionary<string, double[]>? Intervals { get; init; }

    /// <summary>How the intervals were drawn.</summary>
    [JsonPropertyName("bootstrap")]
    public BootstrapSettings? Bootstrap { get; init; }
}

/// <summary>Collects (map, mask) pairs image by image and scores them; maps are normalised per image first.</summary>
public sealed class LocalizationEvaluator(MapNormalization normalization)
{
    /// <summary>A patch counts as tumour when at least this share of its pixels is tumour.</summary>
    public const double PositivePatchShare = 0.5;

    private sealed record ImageItems(
        string Class,
        string? Patient,
        List<WeightedScore> Instances,
        List<WeightedScore> Pixels,
        double? PointingHit
    );

    private readonly List<ImageItems> _images = [];

    public MapNormalization Normalization { get; } = normalization;

    /// <param name="weight">Multiplies the normalised map, e.g. the model's probability that the image holds tumour
    /// (a class-aware map: near zero on images the model calls tumour-free). Default 1.</param>
    /// <param name="patient">The image's patient, when known: the intervals resample patients.</param>
    public void Add(PatchMap map, TumourMask mask, string className, float weight = 1f, string? patient = null) =>
        Add([(map, weight)], mask, className, patient);

    /// <summary>The sum of several weighted maps of one image, each normalised first (e.g. each tumour class's own map
    /// × p(class)).</summary>
    public void Add(
        IReadOnlyList<(PatchMap Map, float Weight)> parts,
        TumourMask mask,
        string className,
        string? patient = null
    )
    {
        if (parts.Count == 0)
            throw new ArgumentException("An image needs at least one map.", nameof(parts));
        var map = parts[0].Map;
        var sum = new float[map.Values.Length];
        foreach (var (part, weight) in parts)
        {
            if (!(weight >= 0) || !float.IsFinite(weight))
                throw new ArgumentOutOfRangeException(
                    nameof(parts),
                    $"A map weight must be a finite non-negative number (got {weight})."
                );
            var values = part.Normalized(Normalization).Values;
            for (int i = 0; i < sum.Length; i++)
                sum[i] += values[i] * weight;
        }
        var normalized = new PatchMap(sum, map.Layout);
        var share = mask.PatchTumourShare(map.Layout);
        var instances = new List<WeightedScore>(share.Length);
        for (int n = 0; n < share.Length; n++)
        {
            bool positive = share[n] >= PositivePatchShare;
            instances.Add(new WeightedScore(normalized.Values[n], positive ? 1 : 0, positive ? 0 : 1));
        }

        // Pixels grouped by map value: one item per distinct value keeps the sort small (≤ a few per patch).
        var pixelValues = normalized.ToRegionPixels();
        var tumour = mask.Region(map.Layout);
        var byValue = new Dictionary<float, (double Pos, double Neg)>();
        for (int i = 0; i < pixelValues.Length; i++)
        {
            if (float.IsNaN(pixelValues[i]))
                continue;
            byValue.TryGetValue(pixelValues[i], out var c);
            byValue[pixelValues[i]] = tumour[i] ? (c.Pos + 1, c.Neg) : (c.Pos, c.Neg + 1);
        }
        var pixels = byValue.Select(kv => new WeightedScore(kv.Key, kv.Value.Pos, kv.Value.Neg)).ToList();

        double? hit = null;
        if (instances.Any(i => i.Positives > 0))
        {
            float max = normalized.Values.Max();
            var top = instances.Where(i => i.Score == max).ToList();
            hit = top.Count(i => i.Positives > 0) / (double)top.Count;
        }
        _images.Add(new ImageItems(className, patient, instances, pixels, hit));
    }

    public int Count => _images.Count;

    /// <summary>The scores over every image, with their intervals.</summary>
    public LocalizationScores Scores()
    {
        var scores = Score(_images);
        if (_images.Count == 0)
            return scores;
        var bootstrap = new Bootstrap([.. _images.Select(i => i.Patient)]);
        static double?[] Figures(LocalizationScores s) =>
            [s.InstanceAuroc, s.InstanceAp, s.PixelAuroc, s.BestDice, s.PointingGame];
        var intervals = bootstrap.Of(items => Figures(Score([.. items.Select(i => _images[i])])));
        return scores with
        {
            Intervals = Bootstrap.Named(
                ["instance_auroc", "instance_ap", "pixel_auroc", "best_dice", "pointing_game"],
                Figures(scores),
                intervals
            ),
            Bootstrap = bootstrap.Settings("image"),
        };
    }

    /// <summary>The same scores within each true class (classes without tumour have no AUROC: every patch is
    /// negative).</summary>
    public IReadOnlyDictionary<string, LocalizationScores> ScoresByClass() =>
        _images
            .GroupBy(i => i.Class)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => Score(g.ToList()));

    private static LocalizationScores Score(IReadOnlyList<ImageItems> images)
    {
        var instances = images.SelectMany(i => i.Instances).ToList();
        var pixels = images.SelectMany(i => i.Pixels).ToList();
        var overlap = RankMetrics.BestOverlap(pixels);
        var hits = images.Where(i => i.PointingHit is not null).Select(i => i.PointingHit!.Value).ToList();
        return new LocalizationScores
        {
            Images = images.Count,
            PositiveImages = hits.Count,
            Instances = instances.Count,
            PositiveInstances = (int)instances.Sum(i => i.Positives),
            InstanceAuroc = Round(RankMetrics.Auroc(instances)),
            InstanceAp = Round(RankMetrics.AveragePrecision(instances)),
            PixelAuroc = Round(RankMetrics.Auroc(pixels)),
            BestDice = Round(overlap?.Dice),
            BestDiceThreshold = Round(overlap?.DiceThreshold),
            BestIou = Round(overlap?.Iou),
            BestIouThreshold = Round(overlap?.IouThreshold),
            PointingGame = hits.Count == 0 ? null : Round(hits.Average()),
        };
    }

    private static double? Round(double? value) => value is double v ? Math.Round(v, 6) : null;
}
