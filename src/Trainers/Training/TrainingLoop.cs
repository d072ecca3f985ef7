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
    /// <summary>Where a training stands after each epoch: what a checkpoint saves and a resumed run starts
    /// from.</summary>
    private sealed class Standing
    {
        public List<EpochReport> History { get; } = [];
        public float[]? Best { get; set; }
        public int BestEpoch { get; set; }
        public int SinceBest { get; set; }
        public int FirstEpoch { get; set; } = 1;
        public double BestLoss { get; set; } = double.PositiveInfinity;

        /// <summary>The epoch a stop interrupted and what its training part had done (resumed from there).</summary>
        public (int Epoch, EpochTally Done)? Unfinished { get; set; }
    }

    /// <summary>How far a pass over the bags got: bags done, their summed loss, how many were right.</summary>
    internal readonly record struct EpochTally(double LossSum, int Correct, int Count)
    {
        public (double Loss, double Accuracy) Mean => (LossSum / Count, (double)Correct / Count);
    }

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
        // Not handed to the readers: a stop is taken between steps, never inside a read the epoch still needs.
        var cancel = control.Cancellation;
        int validationCount = validationReader is null ? 0 : validationRows?.Count ?? -1;
        string fingerprint = Fingerprint(trainRows.Count, validationCount, classWeights);
        var standing = new Standing();
        if (control.ResumeFromCheckpoint && control.CheckpointPath is { } path && File.Exists(path))
            Resume(
                path,
                spec,
                fingerprint,
                network,
                optimizer,
                dropoutGenerator,
                standing,
                validationReader is not null
            );

        // Owned for the whole training, so no finalizer can free them during a native call (see AdamOptimizer).
        double w = Heads.Of(spec).BagLossShare(options);
        using var bagWeight = w.ToScalar();
        using var instanceWeight = (1 - w).ToScalar();
        var lossWeights = (bagWeight, instanceWeight);
        for (int epoch = standing.FirstEpoch; epoch <= options.MaxEpochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            network.train();
            var start = standing.Unfinished is { } u && u.Epoch == epoch ? u.Done : default;
            standing.Unfinished = null;
            var shuffle = new Random(Transforms.StableSeed.Mix(options.EffectiveSeed, epoch));
            var (train, stopped) = RunEpoch(
                network,
                reader
                    .Read(trainRows, shuffle, options.ReadAhead, options.ReadWorkers, skip: start.Count)
                    .Chunk(options.BatchBags),
                weights,
                optimizer,
                (done) => control.OnBag?.Invoke(done, trainRows.Count, true),
                epoch,
                lossWeights,
                cancel,
                start
            );
            if (stopped)
                Stop(epoch, train, network, optimizer, dropoutGenerator, standing, spec, fingerprint);
            var trainMean = Mean(train);

            (double Loss, double Accuracy)? validation = null;
            if (validationReader is not null)
            {
                network.eval();
                using var _ = no_grad();
                var (checkedBags, validationStopped) = RunEpoch(
                    network,
                    validationReader
                        .Read(validationRows, null, options.ReadAhead, options.ReadWorkers)
                        .Chunk(options.BatchBags),
                    weights,
                    null,
                    (done) => control.OnBag?.Invoke(done, validationCount, false),
                    epoch,
                    lossWeights,
                    cancel,
                    default
                );
                if (validationStopped)
                    Stop(epoch, train, network, optimizer, dropoutGenerator, standing, spec, fingerprint);
                validation = Mean(checkedBags);
            }
            WarnIfExploding(epoch, trainMean.Loss, standing.History, classWeights.Length);
            var report = Record(epoch, trainMean, validation, clock, network, standing, out var current);
            if (control.CheckpointPath is { } checkpointPath)
                Checkpoint(spec, fingerprint, epoch, current!, standing, optimizer, dropoutGenerator)
                    .Save(checkpointPath);
            control.OnEpochEnd?.Invoke(report);
            log?.Info(report.Describe());
            if (validation is not null && PatienceExhausted(standing))
                break;
        }
        if (standing.Best is not { } best)
            throw new InvalidOperationException("Training ended before any epoch finished.");
        var fitted =
            options.CalibrateTemperature && validationReader is not null
                ? spec with
                {
                    Temperature = FitTemperature(network, best, validationReader, validationRows),
                }
                : spec;
        return new TrainingResult(fitted, best, standing.History, standing.BestEpoch);
    }

    /// <summary>Temperature scaling on the validation bags, with the weights the model keeps.</summary>
    private float FitTemperature(
        BagNetwork network,
        float[] best,
        BagReader validationReader,
        IReadOnlySet<DataViewRowId>? validationRows
    )
    {
        network.ImportWeights(best);
        network.eval();
        var logits = new List<float[]>();
        var labels = new List<int>();
        using (no_grad())
            foreach (var bag in validationReader.Read(validationRows, null, options.ReadAhead, options.ReadWorkers))
            {
                using var scope = NewDisposeScope();
                var input = tensor(
                    bag.Pixels,
                    network.InputShape(bag.Layout, bag.Pixels.Length),
                    device: network.Device
                );
                logits.Add(network.Logits(input, bag.Layout).cpu().data<float>().ToArray());
                labels.Add(bag.ClassIndex);
            }
        float temperature = TemperatureScaling.Fit(logits, labels);
        string why =
            TemperatureScaling.Separable(logits, labels)
                ? " (left at 1: the model ranks every validation bag's class first, so no temperature can be fitted)"
            : temperature == 1 ? " (left at 1: the fit ended on its lower bound)"
            : "";
        log?.Info(
            FormattableString.Invariant(
                $"Temperature scaling on {logits.Count} validation bag(s): T = {temperature:G4}{why}"
            )
        );
        return temperature;
    }

    private bool PatienceExhausted(Standing standing) =>
        options.EarlyStoppingPatience > 0 && standing.SinceBest >= options.EarlyStoppingPatience;

    private static TrainingCheckpoint Checkpoint(
        NetworkSpec spec,
        string fingerprint,
        int finishedEpoch,
        float[] weights,
        Standing standing,
        AdamOptimizer optimizer,
        Generator dropoutGenerator
    ) =>
        new()
        {
            Spec = spec,
            Fingerprint = fingerprint,
            Epoch = finishedEpoch,
            Weights = weights,
            BestWeights = standing.Best,
            BestEpoch = standing.BestEpoch,
            BestLoss = standing.BestLoss,
            SinceBest = standing.SinceBest,
            History = standing.History,
            OptimizerState = optimizer.SaveState(),
            RandomState = TrainingCheckpoint.SaveRandomState(dropoutGenerator),
            Unfinished = standing.Unfinished,
        };

    /// <summary>A stop asked for mid-epoch: the step in progress has finished; the weights, Adam's moments, the random
    /// state and the epoch's progress are saved, so a resumed run continues with the next bag and ends as an
    /// uninterrupted one would. Without a checkpoint path the epoch's work is simply dropped.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Stop(
        int epoch,
        EpochTally train,
        BagNetwork network,
        AdamOptimizer optimizer,
        Generator dropoutGenerator,
        Standing standing,
        NetworkSpec spec,
        string fingerprint
    )
    {
        if (control.CheckpointPath is { } path)
        {
            standing.Unfinished = (epoch, train);
            Checkpoint(spec, fingerprint, epoch - 1, network.ExportWeights(), standing, optimizer, dropoutGenerator)
                .Save(path);
            log?.Info(FormattableString.Invariant($"Stopped in epoch {epoch} after {train.Count} bag(s); saved."));
        }
        throw new OperationCanceledException(control.Cancellation);
    }

    private static (double Loss, double Accuracy) Mean(EpochTally tally) =>
        tally.Count > 0
            ? tally.Mean
            : throw new InvalidOperationException("An epoch saw no bags; the training or validation data is empty.");

    /// <summary>What a checkpoint must agree on to be resumed: seed, optimizer, data sizes, class weights,
    /// batch.</summary>
    private string Fingerprint(int trainCount, int validationCount, float[] classWeights)
    {
        string weightsText = string.Join(',', classWeights.Select(w => w.ToString("R", CultureInfo.InvariantCulture)));
        return FormattableString.Invariant(
                $"{options.EffectiveSeed}|{options.LearningRate:R}|{options.Beta1:R}|{options.Beta2:R}|"
            )
            + FormattableString.Invariant($"{options.WeightDecay:R}|{trainCount}|{validationCount}|{weightsText}")
            // Batches change every step after the first; left out for one bag, so one-bag checkpoints still match.
            + (options.BatchBags > 1 ? FormattableString.Invariant($"|batch {options.BatchBags}") : "");
    }

    private void Resume(
        string path,
        NetworkSpec spec,
        string fingerprint,
        BagNetwork network,
        AdamOptimizer optimizer,
        Generator dropoutGenerator,
        Standing standing,
        bool validating
    )
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
        standing.History.AddRange(checkpoint.History);
        standing.Best = checkpoint.BestWeights;
        standing.BestEpoch = checkpoint.BestEpoch;
        standing.BestLoss = checkpoint.BestLoss;
        standing.SinceBest = checkpoint.SinceBest;
        standing.FirstEpoch = validating && PatienceExhausted(standing) ? int.MaxValue : checkpoint.Epoch + 1;
        standing.Unfinished = checkpoint.Unfinished;
    }

    /// <summary>Warns when the training loss is far above the first epoch's (or, in the first epoch, above an
    /// uninformed guess's, ln C).</summary>
    private void WarnIfExploding(int epoch, double trainLoss, List<EpochReport> history, int classes)
    {
        var (reference, what) =
            history.Count > 0 ? (history[0].TrainLoss, "the first epoch's") : (Math.Log(classes), "a uniform guess's");
        if (trainLoss <= options.ExplodingLossFactor * reference || reference <= 0)
            return;
        string warning =
            FormattableString.Invariant($"warning: epoch {epoch}'s training loss {trainLoss:G4} is over ")
            + FormattableString.Invariant(
                $"{options.ExplodingLossFactor:G}× {what} ({reference:G4}): training is exploding; "
            )
            + FormattableString.Invariant($"lower the learning rate (now {options.LearningRate:G}).");
        control.OnWarning?.Invoke(warning);
        log?.Warning(warning);
    }

    /// <summary>Keeps the best weights (without validation the last epoch's; with it, the lowest validation loss,
    /// earliest on ties) and adds the epoch's report; <paramref name="current"/> holds this epoch's weights when a
    /// checkpoint or the best needs them.</summary>
    private EpochReport Record(
        int epoch,
        (double Loss, double Accuracy) train,
        (double Loss, double Accuracy)? validation,
        Stopwatch clock,
        BagNetwork network,
        Standing standing,
        out float[]? current
    )
    {
        double score = validation?.Loss ?? -epoch;
        bool isBest = score < standing.BestLoss;
        // One export serves both the best weights and the checkpoint.
        current = isBest || control.CheckpointPath is not null ? network.ExportWeights() : null;
        if (isBest)
        {
            (standing.BestLoss, standing.BestEpoch, standing.Best, standing.SinceBest) = (score, epoch, current, 0);
        }
        else
            standing.SinceBest++;
        var report = new EpochReport(
            epoch,
            options.MaxEpochs,
            train.Loss,
            train.Accuracy,
            validation?.Loss,
            validation?.Accuracy,
            clock.Elapsed.TotalSeconds,
            isBest
        );
        standing.History.Add(report);
        return report;
    }

    /// <summary>One pass over the bags, a step per batch (one bag: the MIL convention; several: the mean of their
    /// losses, see <see cref="BatchLosses"/>), counted on from <paramref name="start"/>; without an optimizer, only the
    /// loss and accuracy. A cancellation ends the pass after the step in progress (Stopped).</summary>
    private static (EpochTally Tally, bool Stopped) RunEpoch(
        BagNetwork network,
        IEnumerable<LabelledBag[]> batches,
        Tensor classWeights,
        AdamOptimizer? optimizer,
        Action<int> onBag,
        int epoch,
        (Scalar Bag, Scalar Instance) lossWeights,
        CancellationToken cancel,
        EpochTally start
    )
    {
        double lossSum = start.LossSum;
        int correct = start.Correct,
            count = start.Count;
        if (cancel.IsCancellationRequested)
            return (start, true);
        foreach (var bags in batches)
        {
            using var scope = NewDisposeScope();
            var (loss, values, predicted) = StepLoss(network, bags, classWeights, lossWeights, optimizer is not null);
            // A non-finite loss would turn every weight into NaN on the next step: stop before it is taken.
            for (int i = 0; i < values.Length; i++)
                if (!float.IsFinite(values[i]))
                    throw Diverged(optimizer is null, values[i], epoch, count + i + 1);
            if (optimizer is not null)
            {
                optimizer.ZeroGrad();
                loss.backward();
                optimizer.Step();
            }
            for (int i = 0; i < values.Length; i++)
            {
                lossSum += values[i];
                if (predicted[i] == bags[i].ClassIndex)
                    correct++;
                count++;
                onBag(count);
            }
            if (cancel.IsCancellationRequested)
                return (new EpochTally(lossSum, correct, count), true);
        }
        return (new EpochTally(lossSum, correct, count), false);
    }

    /// <summary>The loss a step minimises, each bag's loss and each bag's predicted class.</summary>
    private static (Tensor Loss, float[] Values, long[] Predicted) StepLoss(
        BagNetwork network,
        LabelledBag[] bags,
        Tensor classWeights,
        (Scalar Bag, Scalar Instance) lossWeights,
        bool training
    )
    {
        if (bags.Length == 1)
        {
            var (loss, logits) = BagLoss(network, bags[0], classWeights, lossWeights, training);
            return (loss, [loss.item<float>()], [logits.argmax(1).item<long>()]);
        }
        var (losses, batchLogits) = BatchLosses(network, bags, classWeights, lossWeights, training);
        var values = losses.detach().cpu().data<float>().ToArray();
        return (losses.mean(), values, batchLogits.argmax(1).cpu().data<long>().ToArray());
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
