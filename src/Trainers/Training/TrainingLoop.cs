using System.Diagnostics;
using System.Globalization;
using Amil.MLNet.Trainers.Networks;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Amil.MLNet.Trainers.Training;

/// <summary>Result of training: the chosen weights and how the epochs went.</summary>
internal sealed record TrainingResult(
    NetworkSpec Spec,
    float[] Weights,
    IReadOnlyList<EpochReport> History,
    int BestEpoch
);

/// <summary>One bag per step (the MIL convention) or batches of bags, Adam, best epoch by validation loss, early
/// stopping.</summary>
internal sealed partial class TrainingLoop(AttentionMilOptions options, TrainingControl control, ContextLog? log)
{
    public TrainingResult Run(
        BagReader reader,
        NetworkSpec spec,
        IReadOnlySet<DataViewRowId> trainRows,
        BagReader? validationReader,
        IReadOnlySet<DataViewRowId>? validationRows,
        float[] classWeights
    )
    {
        var device = options.Device.Resolve();
        // Created on the CPU from the seed (the same initial weights on every device), then moved.
        var (created, dropoutGenerator) = TorchSeeding.SeededForTraining(
            options.EffectiveSeed,
            () => BagNetwork.Create(spec)
        );
        using var dropoutMasks = dropoutGenerator;
        using var network = created.MoveTo(device);
        using var optimizer = new AdamOptimizer(
            network.parameters(),
            options.LearningRate,
            options.Beta1,
            options.Beta2,
            options.WeightDecay
        );
        using var weights = tensor(classWeights, device: device);
        var history = new List<EpochReport>();
        float[]? best = null;
        int bestEpoch = 0,
            sinceBest = 0,
            firstEpoch = 1;
        double bestLoss = double.PositiveInfinity;
        var cancel = control.Cancellation;
        int validationCount = validationReader is null ? 0 : validationRows?.Count ?? -1;
        string weightsText = string.Join(',', classWeights.Select(w => w.ToString("R", CultureInfo.InvariantCulture)));
        string fingerprint =
            FormattableString.Invariant(
                $"{options.EffectiveSeed}|{options.LearningRate:R}|{options.Beta1:R}|{options.Beta2:R}|"
            )
            + FormattableString.Invariant($"{options.WeightDecay:R}|{trainRows.Count}|{validationCount}|{weightsText}")
            // Batches change every step after the first; left out for one bag, so one-bag checkpoints still match.
            + (options.BatchBags > 1 ? FormattableString.Invariant($"|batch {options.BatchBags}") : "");

        bool PatienceExhausted() => options.EarlyStoppingPatience > 0 && sinceBest >= options.EarlyStoppingPatience;

        if (control.ResumeFromCheckpoint && control.CheckpointPath is { } path && File.Exists(path))
        {
            var checkpoint = TrainingCheckpoint.Load(path);
            if (checkpoint.Spec != spec || checkpoint.Fingerprint != fingerprint)
                throw new InvalidDataException(
                    $"{path}: the checkpoint belongs to a training with other data or settings; resume with the "
                        + "same data and options, or start afresh."
                );
            network.ImportWeights(checkpoint.Weights);
            try
            {
                optimizer.LoadState(checkpoint.OptimizerState);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{path}: {e.Message}; start the training afresh without resuming.", e);
            }
            TrainingCheckpoint.LoadRandomState(dropoutGenerator, checkpoint.RandomState);
            history.AddRange(checkpoint.History);
            (best, bestEpoch, bestLoss, sinceBest, firstEpoch) = (
                checkpoint.BestWeights,
                checkpoint.BestEpoch,
                checkpoint.BestLoss,
                checkpoint.SinceBest,
                checkpoint.Epoch + 1
            );
            if (validationReader is not null && PatienceExhausted())
                firstEpoch = int.MaxValue;
        }

        // Owned for the whole training, so no finalizer can free them during a native call (see AdamOptimizer).
        double w = Heads.Of(spec).BagLossShare(options);
        using var bagWeight = w.ToScalar();
        using var instanceWeight = (1 - w).ToScalar();
        var lossWeights = (bagWeight, instanceWeight);
        for (int epoch = firstEpoch; epoch <= options.MaxEpochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            network.train();
            var shuffle = new Random(Transforms.StableSeed.Mix(options.EffectiveSeed, epoch));
            var (trainLoss, trainAccuracy) = RunEpoch(
                options.BatchBags,
                network,
                reader.Read(trainRows, shuffle, options.ReadAhead, options.ReadWorkers, cancel),
                weights,
                optimizer,
                (done) => control.OnBag?.Invoke(done, trainRows.Count, true),
                epoch,
                lossWeights,
                cancel
            );

            (double Loss, double Accuracy)? validation = null;
            if (validationReader is not null)
            {
                network.eval();
                using var _ = no_grad();
                int total = validationCount;
                validation = RunEpoch(
                    options.BatchBags,
                    network,
                    validationReader.Read(validationRows, null, options.ReadAhead, options.ReadWorkers, cancel),
                    weights,
                    null,
                    (done) => control.OnBag?.Invoke(done, total, false),
                    epoch,
                    lossWeights,
                    cancel
                );
            }
            // Compared with the first epoch, or in the first epoch with an uninformed guess's loss, ln C.
            var (reference, what) =
                history.Count > 0
                    ? (history[0].TrainLoss, "the first epoch's")
                    : (Math.Log(classWeights.Length), "a uniform guess's");
            if (trainLoss > options.ExplodingLossFactor * reference && reference > 0)
            {
                string warning =
                    FormattableString.Invariant($"warning: epoch {epoch}'s training loss {trainLoss:G4} is over ")
                    + FormattableString.Invariant(
                        $"{options.ExplodingLossFactor:G}× {what} ({reference:G4}): training is exploding; "
                    )
                    + FormattableString.Invariant($"lower the learning rate (now {options.LearningRate:G}).");
                control.OnWarning?.Invoke(warning);
                log?.Warning(warning);
            }

            // Without validation the last epoch is kept; with it, the lowest validation loss (earliest on ties).
            double score = validation?.Loss ?? -epoch;
            bool isBest = score < bestLoss;
            // One export serves both the best weights and the checkpoint.
            float[]? current = isBest || control.CheckpointPath is not null ? network.ExportWeights() : null;
            if (isBest)
            {
                bestLoss = score;
                bestEpoch = epoch;
                best = current;
                sinceBest = 0;
            }
            else
                sinceBest++;

            var report = new EpochReport(
                epoch,
                options.MaxEpochs,
                trainLoss,
                trainAccuracy,
                validation?.Loss,
                validation?.Accuracy,
                clock.Elapsed.TotalSeconds,
                isBest
            );
            history.Add(report);
            if (control.CheckpointPath is { } checkpointPath)
                new TrainingCheckpoint
                {
                    Spec = spec,
                    Fingerprint = fingerprint,
                    Epoch = epoch,
                    Weights = current!,
                    BestWeights = best,
                    BestEpoch = bestEpoch,
                    BestLoss = bestLoss,
                    SinceBest = sinceBest,
                    History = history,
                    OptimizerState = optimizer.SaveState(),
                    RandomState = TrainingCheckpoint.SaveRandomState(dropoutGenerator),
                }.Save(checkpointPath);
            control.OnEpochEnd?.Invoke(report);
            log?.Info(report.Describe());
            if (validation is not null && PatienceExhausted())
                break;
        }
        if (best is null)
            throw new InvalidOperationException("Training ended before any epoch finished.");
        return new TrainingResult(spec, best, history, bestEpoch);
    }

    private static (double Loss, double Accuracy) RunEpoch(
        int batchBags,
        BagNetwork network,
        IEnumerable<LabelledBag> bags,
        Tensor classWeights,
        AdamOptimizer? optimizer,
        Action<int> onBag,
        int epoch,
        (Scalar Bag, Scalar Instance) lossWeights,
        CancellationToken cancel
    ) =>
        batchBags == 1
            ? RunEpoch(network, bags, classWeights, optimizer, onBag, epoch, lossWeights, cancel)
            : RunBatchedEpoch(
                network,
                bags.Chunk(batchBags),
                classWeights,
                optimizer,
                onBag,
                epoch,
                lossWeights,
                cancel
            );

    private static (double Loss, double Accuracy) RunEpoch(
        BagNetwork network,
        IEnumerable<LabelledBag> bags,
        Tensor classWeights,
        AdamOptimizer? optimizer,
        Action<int> onBag,
        int epoch,
        (Scalar Bag, Scalar Instance) lossWeights,
        CancellationToken cancel
    )
    {
        double lossSum = 0;
        int correct = 0,
            count = 0;
        foreach (var bag in bags)
        {
            using var scope = NewDisposeScope();
            var (loss, logits) = BagLoss(network, bag, classWeights, lossWeights, optimizer is not null);
            float lossValue = loss.item<float>();
            // A non-finite loss would turn every weight into NaN on the next step: stop before it is taken.
            if (!float.IsFinite(lossValue))
                throw Diverged(optimizer is null, lossValue, epoch, count + 1);
            if (optimizer is not null)
            {
                optimizer.ZeroGrad();
                loss.backward();
                optimizer.Step();
            }
            lossSum += lossValue;
            if (logits.argmax(1).item<long>() == bag.ClassIndex)
                correct++;
            count++;
            onBag(count);
            cancel.ThrowIfCancellationRequested();
        }
        if (count == 0)
            throw new InvalidOperationException("An epoch saw no bags; the training or validation data is empty.");
        return (lossSum / count, (double)correct / count);
    }

    /// <summary>One bag's weighted loss (a scalar) and its 1 × C logits.</summary>
    internal static (Tensor Loss, Tensor Logits) BagLoss(
        BagNetwork network,
        LabelledBag bag,
        Tensor classWeights,
        (Scalar Bag, Scalar Instance) lossWeights,
        bool training
    )
    {
        var layout = bag.Layout;
        var input = tensor(bag.Pixels, network.InputShape(layout, bag.Pixels.Length), device: network.Device);
        var target = tensor(new long[] { bag.ClassIndex }, device: network.Device);
        var (logits, instanceLoss) = training
            ? network.TrainingForward(input, layout, bag.ClassIndex)
            : (network.Logits(input, layout), null);
        var bagLoss = F.cross_entropy(logits, target);
        // CLAM: the bag loss and the instance loss, weighted (total = w·bag + (1 − w)·instance).
        if (instanceLoss is not null)
            bagLoss = bagLoss.mul(lossWeights.Bag).add(instanceLoss.mul(lossWeights.Instance), Scalars.One);
        // Per-bag weighting by hand: cross_entropy's own class weights cancel out for a batch of one bag.
        return (bagLoss * classWeights[bag.ClassIndex], logits);
    }

    private static TrainingDivergedException Diverged(bool validating, float loss, int epoch, int bag) =>
        new(
            $"Training diverged: the {(validating ? "validation" : "training")} loss is "
                + FormattableString.Invariant($"{loss} in epoch {epoch} (bag {bag}). ")
                + "Lower the learning rate and train again. "
                + Kernels.CpuKernels.Current.Describe()
                + (
                    Kernels.CpuKernels.Current.Mode == Kernels.CpuKernelMode.Reference
                        ? ""
                        : " To rule out the CPU kernels, train once with "
                            + $"{Kernels.CpuKernels.EnvironmentVariable}=reference."
                ),
            epoch
        );
}
