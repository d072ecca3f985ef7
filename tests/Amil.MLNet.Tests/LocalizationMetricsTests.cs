using Amil.MLNet.Maps.Heatmaps;
using Amil.MLNet.Maps.Metrics;
using Amil.MLNet.Transforms.Bagging;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Localization metrics against hand-computed cases.</summary>
public class LocalizationMetricsTests
{
    private static WeightedScore Pos(double s) => new(s, 1, 0);

    private static WeightedScore Neg(double s) => new(s, 0, 1);

    [Fact]
    public void AurocIsOneForAPerfectRankingZeroForInvertedAndHalfForConstant()
    {
        Assert.Equal(1.0, RankMetrics.Auroc([Pos(0.9), Pos(0.8), Neg(0.2), Neg(0.1)]));
        Assert.Equal(0.0, RankMetrics.Auroc([Pos(0.1), Pos(0.2), Neg(0.8), Neg(0.9)]));
        Assert.Equal(0.5, RankMetrics.Auroc([Pos(0.5), Pos(0.5), Neg(0.5), Neg(0.5)]));
        // One swap out of 2 × 2 pairs: 3/4.
        Assert.Equal(0.75, RankMetrics.Auroc([Pos(0.9), Pos(0.3), Neg(0.5), Neg(0.1)]));
        Assert.Null(RankMetrics.Auroc([Neg(0.1), Neg(0.2)]));
    }

    [Fact]
    public void AveragePrecisionMatchesHandComputation()
    {
        Assert.Equal(1.0, RankMetrics.AveragePrecision([Pos(0.9), Pos(0.8), Neg(0.2)]));
        // Ranking P N P: precision at the positives 1/1 and 2/3 → (1 + 2/3) / 2.
        Assert.Equal((1 + 2.0 / 3) / 2, RankMetrics.AveragePrecision([Pos(0.9), Neg(0.5), Pos(0.1)])!.Value, 12);
        // Constant map: one step with precision = prevalence.
        Assert.Equal(0.25, RankMetrics.AveragePrecision([Pos(1), Neg(1), Neg(1), Neg(1)])!.Value, 12);
    }

    [Fact]
    public void BestOverlapFindsTheSeparatingThreshold()
    {
        var best = RankMetrics.BestOverlap([Pos(0.9), Pos(0.7), Neg(0.3), Neg(0.1)])!.Value;
        Assert.Equal(1.0, best.Dice);
        Assert.Equal(1.0, best.Iou);
        Assert.InRange(best.DiceThreshold, 0.3 + 1e-9, 0.7);
        // Constant map: everything is predicted tumour; Dice = 2·2 / (2·2 + 2) = 2/3.
        Assert.Equal(2.0 / 3, RankMetrics.BestOverlap([Pos(1), Pos(1), Neg(1), Neg(1)])!.Value.Dice, 12);
    }

    /// <summary>A 2 × 2 grid of 4-pixel patches on an 8 × 8 image; tumour fills the top-right patch.</summary>
    private static (BagLayout Layout, TumourMask Mask) TopRightTumour()
    {
        var layout = new BagLayout(3, 4, 4, 2, 2, 0, 0, 8, 8);
        var tumour = new bool[64];
        for (int y = 0; y < 4; y++)
        for (int x = 4; x < 8; x++)
            tumour[y * 8 + x] = true;
        return (layout, new TumourMask(8, 8, tumour));
    }

    [Fact]
    public void EvaluatorScoresPerfectInvertedAndConstantMaps()
    {
        var (layout, mask) = TopRightTumour();
        LocalizationScores Score(float[] values)
        {
            var evaluator = new LocalizationEvaluator(MapNormalization.None);
            evaluator.Add(new PatchMap(values, layout), mask, "malignant");
            return evaluator.Scores();
        }
        var perfect = Score([0.1f, 0.7f, 0.1f, 0.1f]);
        Assert.Equal(1.0, perfect.InstanceAuroc);
        Assert.Equal(1.0, perfect.PixelAuroc);
        Assert.Equal(1.0, perfect.BestDice);
        Assert.Equal(1.0, perfect.PointingGame);
        Assert.Equal(4, perfect.Instances);
        Assert.Equal(1, perfect.PositiveInstances);

        var inverted = Score([0.3f, 0.1f, 0.3f, 0.3f]);
        Assert.Equal(0.0, inverted.InstanceAuroc);
        Assert.Equal(0.0, inverted.PointingGame);

        var constant = Score([0.25f, 0.25f, 0.25f, 0.25f]);
        Assert.Equal(0.5, constant.InstanceAuroc);
        Assert.Equal(0.25, constant.PointingGame); // a four-way tie: one of the four tied maxima is tumour
    }

    [Fact]
    public void LocalizationFiguresCarryIntervalsFromResamplingWholeImagesOrPatients()
    {
        var (layout, mask) = TopRightTumour();
        var random = new Random(5);
        LocalizationEvaluator Evaluator(Func<int, string?> patient)
        {
            var evaluator = new LocalizationEvaluator(MapNormalization.None);
            for (int i = 0; i < 30; i++)
            {
                // A noisy map: the tumour patch usually, not always, highest.
                var values = Enumerable.Range(0, 4).Select(_ => (float)random.NextDouble()).ToArray();
                values[1] += 0.4f;
                evaluator.Add(new PatchMap(values, layout), mask, "malignant", patient: patient(i));
            }
            return evaluator;
        }

        var byImage = Evaluator(_ => null).Scores();
        Assert.Equal("image", byImage.Bootstrap!.By);
        Assert.Equal(30, byImage.Bootstrap.Groups);
        foreach (
            var (name, value) in new[]
            {
                ("instance_auroc", byImage.InstanceAuroc),
                ("instance_ap", byImage.InstanceAp),
                ("pixel_auroc", byImage.PixelAuroc),
                ("best_dice", byImage.BestDice),
                ("pointing_game", byImage.PointingGame),
            }
        )
        {
            var interval = byImage.Intervals![name];
            Assert.True(
                interval[0] <= value && value <= interval[1],
                $"{name} {value} outside [{interval[0]}, {interval[1]}]"
            );
            Assert.True(interval[1] > interval[0], $"{name}: a noisy map has a real interval");
        }

        var byPatient = Evaluator(i => $"P{i / 3}").Scores();
        Assert.Equal(("patient", 10), (byPatient.Bootstrap!.By, byPatient.Bootstrap.Groups));
        Assert.Null(Evaluator(_ => null).ScoresByClass()["malignant"].Intervals);
    }

    [Fact]
    public void PatchesOfTumourFreeImagesCountAsNegatives()
    {
        var (layout, mask) = TopRightTumour();
        var evaluator = new LocalizationEvaluator(MapNormalization.None);
        evaluator.Add(new PatchMap([0.1f, 0.7f, 0.1f, 0.1f], layout), mask, "malignant");
        evaluator.Add(new PatchMap([0.9f, 0.0f, 0.0f, 0.0f], layout), new TumourMask(8, 8, new bool[64]), "benign");
        var scores = evaluator.Scores();
        Assert.Equal(8, scores.Instances);
        Assert.Equal(1, scores.PositiveImages);
        // The positive (0.7) outranks 6 of the 7 negatives; the benign image's 0.9 outranks it.
        Assert.Equal(6.0 / 7, scores.InstanceAuroc!.Value, 6);
        var perClass = evaluator.ScoresByClass();
        Assert.Null(perClass["benign"].InstanceAuroc);
        Assert.Equal(1.0, perClass["malignant"].InstanceAuroc);
    }

    [Fact]
    public void WeightingByTumourProbabilityFadesMapsOfTumourFreeImages()
    {
        var (layout, mask) = TopRightTumour();
        var evaluator = new LocalizationEvaluator(MapNormalization.None);
        evaluator.Add(new PatchMap([0.1f, 0.7f, 0.1f, 0.1f], layout), mask, "malignant", weight: 0.9f);
        evaluator.Add(
            new PatchMap([0.9f, 0.0f, 0.0f, 0.0f], layout),
            new TumourMask(8, 8, new bool[64]),
            "benign",
            weight: 0.05f
        );
        // Unweighted this case scores 6/7 (PatchesOfTumourFreeImagesCountAsNegatives); weighted, 0.045 < 0.63: perfect.
        Assert.Equal(1.0, evaluator.Scores().InstanceAuroc);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            evaluator.Add(new PatchMap([0f, 0f, 0f, 0f], layout), mask, "x", weight: -1f)
        );
    }

    [Fact]
    public void HalfTumourPatchIsPositiveAndLessIsNot()
    {
        var layout = new BagLayout(3, 4, 4, 1, 2, 0, 0, 8, 4);
        var tumour = new bool[32];
        for (int y = 0; y < 2; y++)
        for (int x = 0; x < 4; x++)
            tumour[y * 8 + x] = true; // 8 of 16 pixels of patch 0
        for (int x = 4; x < 7; x++)
            tumour[x] = true; // 3 of 16 pixels of patch 1
        Assert.Equal([0.5f, 3f / 16], new TumourMask(8, 4, tumour).PatchTumourShare(layout));
    }
}
