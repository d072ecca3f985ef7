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
        int validationCount = validationReader is null ? 0 : validationRows?.Count ?? -1;
        string fingerprint = Fingerprint(trainRows.Count, validationCount, classWeights);
        using var state = Start(spec, fingerprint, classWeights, validationReader is not null);
        for (int epoch = state.Standing.FirstEpoch; epoch <= options.MaxEpochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            var train = TrainEpoch(state, reader, trainRows, epoch);
            var trainMean = Mean(train);
            var validation = validationReader is null
                ? ((double Loss, double Accuracy)?)null
                : Validate(state, validationReader, validationRows, validationCount, epoch, train);
            WarnIfExploding(epoch, trainMean.Loss, state.Standing.History, classWeights.Length);
            var report = Record(epoch, trainMean, validation, clock, state.Network, state.Standing, out var current);
            if (control.CheckpointPath is { } checkpointPath)
                Checkpoint(state, epoch, current!).Save(checkpointPath);
            control.OnEpochEnd?.Invoke(report);
            log?.Info(report.Describe());
            if (validation is not null && PatienceExhausted(state.Standing))
                break;
        }
        if (state.Standing.Best is not { } best)
            throw new InvalidOperationException("Training ended before any epoch finished.");
        var fitted =
            options.CalibrateTemperature && validationReader is not null
                ? spec with
                {
                    Temperature = FitTemperature(state.Network, best, validationReader, validationRows),
                }
                : spec;
        return new TrainingResult(fitted, best, state.Standing.History, state.Standing.BestEpoch);
    }

    /// <summary>What one training holds while it runs: the network, Adam, the dropout masks' generator, the class and
    /// loss weights, and where it stands. The scalars are owned for the whole training, so no finalizer can free them
    /// during a native call (see AdamOptimizer).</summary>
    private sealed class TrainingState(
        NetworkSpec spec,
        string fingerprint,
        BagNetwork network,
        Generator dropoutMasks,
        AdamOptimizer optimizer,
        Tensor classWeights,
        double bagLossShare
    ) : IDisposable
    {
        private readonly Scalar _bagWeight = bagLossShare.ToScalar(),
            _instanceWeight = (1 - bagLossShare).ToScalar();

        public NetworkSpec Spec => spec;
        public string Fingerprint => fingerprint;
        public BagNetwork Network => network;
        public Generator DropoutMasks => dropoutMasks;
        public AdamOptimizer Optimizer => optimizer;
        public Tensor ClassWeights => classWeights;
        public (Scalar Bag, Scalar Instance) LossWeights => (_bagWeight, _instanceWeight);
        public Standing Standing { get; } = new();

        public void Dispose()
        {
            _instanceWeight.Dispose();
            _bagWeight.Dispose();
            classWeights.Dispose();
            optimizer.Dispose();
            network.Dispose();
            dropoutMasks.Dispose();
        }
    }

    /// <summary>A new training's network, Adam and weights on the device, resumed from the checkpoint when asked.
    /// </summary>
    private TrainingState Start(NetworkSpec spec, string fingerprint, float[] classWeights, bool validating)
    {
        var device = options.Device.Resolve();
        // Created on the CPU from the seed (the same initial weights on every device), then moved.
        var (created, dropoutMasks) = TorchSeeding.SeededForTraining(
            options.EffectiveSeed,
            () => BagNetwork.Create(spec)
        );
        BagNetwork? network = null;
        AdamOptimizer? optimizer = null;
        TrainingState state;
        try
        {
            network = created.MoveTo(device);
            optimizer = new AdamOptimizer(
                network.parameters(),
                options.LearningRate,
                options.Beta1,
                options.Beta2,
                options.WeightDecay
            );
            state = new TrainingState(
                spec,
                fingerprint,
                network,
                dropoutMasks,
                optimizer,
                tensor(classWeights, device: device),
                Heads.Of(spec).BagLossShare(options)
            );
        }
        catch
        {
            // A device out of memory while setting up: nothing of the training is left to a finalizer.
            optimizer?.Dispose();
            (network ?? created).Dispose();
            dropoutMasks.Dispose();
            throw;
        }
        if (control.ResumeFromCheckpoint && control.CheckpointPath is { } path && File.Exists(path))
            try
            {
                Resume(path, state, validating);
            }
            catch
            {
                state.Dispose();
                throw;
            }
        return state;
    }

    /// <summary>One epoch's training steps, from where a stopped run left it; a stop saves and ends the training.
    /// </summary>
    private EpochTally TrainEpoch(
        TrainingState state,
        BagReader reader,
        IReadOnlySet<DataViewRowId> trainRows,
        int epoch
    )
    {
        state.Network.train();
        var start = state.Standing.Unfinished is { } u && u.Epoch == epoch ? u.Done : default;
        state.Standing.Unfinished = null;
        var shuffle = new Random(Transforms.StableSeed.Mix(options.EffectiveSeed, epoch));
        // Not handed to the readers: a stop is taken between steps, never inside a read the epoch still needs.
        var (train, stopped) = RunEpoch(
            state,
            reader
                .Read(trainRows, shuffle, options.ReadAhead, options.ReadWorkers, skip: start.Count)
                .Chunk(options.BatchBags),
            training: true,
            (done) => control.OnBag?.Invoke(done, trainRows.Count, true),
            epoch,
            start
        );
        if (stopped)
            Stop(epoch, train, state);
        return train;
    }

    /// <summary>The validation loss and accuracy after an epoch; a stop saves the epoch's training part.</summary>
    private (double Loss, double Accuracy) Validate(
        TrainingState state,
        BagReader validationReader,
        IReadOnlySet<DataViewRowId>? validationRows,
        int validationCount,
        int epoch,
        EpochTally train
    )
    {
        state.Network.eval();
        using var _ = no_grad();
        var (checkedBags, stopped) = RunEpoch(
            state,
            validationReader
                .Read(validationRows, null, options.ReadAhead, options.ReadWorkers)
                .Chunk(options.BatchBags),
            training: false,
            (done) => control.OnBag?.Invoke(done, validationCount, false),
            epoch,
            default
        );
        if (stopped)
            Stop(epoch, train, state);
        return Mean(checkedBags);
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

    private static TrainingCheckpoint Checkpoint(TrainingState state, int finishedEpoch, float[] weights) =>
        new()
        {
            Spec = state.Spec,
            Fingerprint = state.Fingerprint,
            Epoch = finishedEpoch,
            Weights = weights,
            BestWeights = state.Standing.Best,
            BestEpoch = state.Standing.BestEpoch,
            BestLoss = state.Standing.BestLoss,
            SinceBest = state.Standing.SinceBest,
            History = state.Standing.History,
            OptimizerState = state.Optimizer.SaveState(),
            RandomState = TrainingCheckpoint.SaveRandomState(state.DropoutMasks),
            Unfinished = state.Standing.Unfinished,
        };

    /// <summary>A stop asked for mid-epoch: the step in progress has finished; the weights, Adam's moments, the random
    /// state and the epoch's progress are saved, so a resumed run continues with the next bag and ends as an
    /// uninterrupted one would. Without a checkpoint path the epoch's work is simply dropped.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Stop(int epoch, EpochTally train, TrainingState state)
    {
        if (control.CheckpointPath is { } path)
        {
            state.Standing.Unfinished = (epoch, train);
            Checkpoint(state, epoch - 1, state.Network.ExportWeights()).Save(path);
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

    private void Resume(string path, TrainingState state, bool validating)
    {
        var checkpoint = TrainingCheckpoint.Load(path);
        if (checkpoint.Spec != state.Spec || checkpoint.Fingerprint != state.Fingerprint)
            throw new InvalidDataException(
                $"{path}: the checkpoint belongs to a training with other data or settings; resume with the "
                    + "same data and options, or start afresh."
            );
        state.Network.ImportWeights(checkpoint.Weights);
        try
        {
            state.Optimizer.LoadState(checkpoint.OptimizerState);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}; start the training afresh without resuming.", e);
        }
        TrainingCheckpoint.LoadRandomState(state.DropoutMasks, checkpoint.RandomState);
        var standing = state.Standing;
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
    private (EpochTally Tally, bool Stopped) RunEpoch(
        TrainingState state,
        IEnumerable<LabelledBag[]> batches,
        bool training,
        Action<int> onBag,
        int epoch,
        EpochTally start
    )
    {
        var (network, optimizer) = (state.Network, training ? state.Optimizer : null);
        var cancel = control.Cancellation;
        double lossSum = start.LossSum;
        int correct = start.Correct,
            count = start.Count;
        if (cancel.IsCancellationRequested)
            return (start, true);
        foreach (var bags in batches)
        {
            using var scope = NewDisposeScope();
            var (loss, values, predicted) = StepLoss(network, bags, state.ClassWeights, state.LossWeights, training);
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
