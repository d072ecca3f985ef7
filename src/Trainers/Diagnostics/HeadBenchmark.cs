using System.Diagnostics;
using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Trainers.Scoring;
using Amil.MLNet.Trainers.Training;
using Amil.MLNet.Transforms.Bagging;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Amil.MLNet.Trainers.Diagnostics;

/// <summary>What one MIL head costs on one slide-sized bag of random feature vectors: a training step (forward and
/// backward, the head's own loss) and a scoring pass with the map, with default options, on the CPU.</summary>
public static class HeadBenchmark
{
    /// <summary>Seconds of one training step and of one scoring pass.</summary>
    public sealed record Result(double TrainStepSeconds, double ScoreSeconds);

    /// <summary>Times <paramref name="head"/> on a bag of <paramref name="tiles"/> vectors of
    /// <paramref name="features"/> values (512: a frozen ResNet18's).</summary>
    public static Result Measure(Head head, int tiles, int features = 512)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tiles, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        var defaults = new AttentionMilOptions();
        var blank = new NetworkSpec(224, defaults.EmbeddingSize, defaults.AttentionSize, false, 2)
        {
            Architecture = NetworkArchitecture.FeatureAttentionMil,
            FeatureSize = features,
            DropoutPercent = 25,
            InputScale = 1,
        };
        using var network = TorchSeeding.Seeded(1, () => BagNetwork.Create(head.Configure(blank, defaults)));
        var random = new Random(tiles);
        var values = new float[tiles * features];
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)random.NextDouble();
        var layout = new BagLayout(1, 224, 224, 1, tiles, 0, 0, 224 * tiles, 224);
        var bag = new LabelledBag(new DataViewRowId(0, 0), values, layout, 1);
        using var classWeights = ones(2);
        double share = head.BagLossShare(defaults);
        using var bagWeight = share.ToScalar();
        using var instanceWeight = (1 - share).ToScalar();

        var clock = Stopwatch.StartNew();
        network.train();
        using (NewDisposeScope())
        {
            var (loss, _) = TrainingLoop.BagLoss(network, bag, classWeights, (bagWeight, instanceWeight), true);
            loss.backward();
        }
        double train = clock.Elapsed.TotalSeconds;
        network.eval();
        clock.Restart();
        BagScorer.Score(network, values, layout);
        return new Result(train, clock.Elapsed.TotalSeconds);
    }
}
