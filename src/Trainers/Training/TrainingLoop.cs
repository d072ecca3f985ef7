using System.Diagnostics;
using Amil.MLNet.Trainers.Networks;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Amil.MLNet.Trainers.Training;

/// <summary>Result of training: the chosen weights and how the epochs went.</summary>
internal sealed record TrainingResult(NetworkSpec Spec, float[] Weights, IReadOnlyList<EpochReport> History, int BestEpoch);

/// <summary>One bag per step (the MIL convention), Adam, best epoch by validation loss, early stopping.</summary>
internal sealed class TrainingLoop(AttentionMilOptions options)
{
    public TrainingResult Run(BagReader reader, NetworkSpec spec, IReadOnlySet<DataViewRowId> trainRows,
                              BagReader? validationReader, IReadOnlySet<DataViewRowId>? validationRows, float[] classWeights)
    {
        using var network = TorchSeeding.Seeded(options.Seed, () => BagNetwork.Create(spec));
        using var optimizer = torch.optim.Adam(network.parameters(), options.LearningRate, options.Beta1, options.Beta2,
                                               weight_decay: options.WeightDecay);
        using var weights = tensor(classWeights);
        var history = new List<EpochReport>();
        float[]? best = null;
        int bestEpoch = 0, sinceBest = 0;
        double bestLoss = double.PositiveInfinity;

        for (int epoch = 1; epoch <= options.MaxEpochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            network.train();
            var shuffle = new Random(HashCode.Combine(options.Seed, epoch));
            var (trainLoss, trainAccuracy) = RunEpoch(network, reader.Read(trainRows, shuffle, options.ReadAhead), weights, optimizer);

            (double Loss, double Accuracy)? validation = null;
            if (validationReader is not null)
            {
                network.eval();
                using var _ = no_grad();
                validation = RunEpoch(network, validationReader.Read(validationRows, null, options.ReadAhead), weights, null);
            }

            // Without validation the last epoch is kept; with it, the lowest validation loss (earliest on ties).
            double score = validation?.Loss ?? -epoch;
            bool isBest = score < bestLoss;
            if (isBest) { bestLoss = score; bestEpoch = epoch; best = network.ExportWeights(); sinceBest = 0; }
            else sinceBest++;

            var report = new EpochReport(epoch, options.MaxEpochs, trainLoss, trainAccuracy, validation?.Loss, validation?.Accuracy,
                                         clock.Elapsed.TotalSeconds, isBest);
            history.Add(report);
            options.OnEpochEnd?.Invoke(report);
            if (validation is not null && options.EarlyStoppingPatience > 0 && sinceBest >= options.EarlyStoppingPatience) break;
        }
        return new TrainingResult(spec, best!, history, bestEpoch);
    }

    private static (double Loss, double Accuracy) RunEpoch(BagNetwork network, IEnumerable<LabelledBag> bags, Tensor classWeights,
                                                           torch.optim.Optimizer? optimizer)
    {
        double lossSum = 0;
        int correct = 0, count = 0;
        foreach (var bag in bags)
        {
            using var scope = NewDisposeScope();
            var layout = bag.Layout;
            var input = tensor(bag.Pixels, [layout.Count, layout.Channels, layout.PatchSize, layout.PatchSize]);
            var target = tensor(new long[] { bag.ClassIndex });
            var logits = network.Logits(input, layout);
            // Per-bag weighting by hand: cross_entropy's own class weights cancel out for a batch of one bag.
            var loss = F.cross_entropy(logits, target) * classWeights[bag.ClassIndex];
            if (optimizer is not null)
            {
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
            lossSum += loss.item<float>();
            if (logits.argmax(1).item<long>() == bag.ClassIndex) correct++;
            count++;
        }
        if (count == 0) throw new InvalidOperationException("An epoch saw no bags; the training or validation data is empty.");
        return (lossSum / count, (double)correct / count);
    }
}
