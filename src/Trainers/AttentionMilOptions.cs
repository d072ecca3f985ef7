namespace Amil.MLNet.Trainers;

/// <summary>Per-epoch figures reported while training.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="MaxEpochs">The most epochs the run may take.</param>
/// <param name="TrainLoss">Mean training loss of the epoch.</param>
/// <param name="TrainAccuracy">Training accuracy of the epoch.</param>
/// <param name="ValidationLoss">Validation loss after the epoch; null without validation.</param>
/// <param name="ValidationAccuracy">Validation accuracy after the epoch; null without validation.</param>
/// <param name="Seconds">Wall time of the epoch.</param>
/// <param name="IsBest">Whether these weights are the best so far (the ones the model keeps, unless a later epoch
/// beats them).</param>
public sealed record EpochReport(
    int Epoch,
    int MaxEpochs,
    double TrainLoss,
    double TrainAccuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double Seconds,
    bool IsBest
)
{
    /// <summary>One line: "epoch  3/15  train loss 0.4123 acc 0.812  val loss … acc …  18.2s  *best".</summary>
    public string Describe() =>
        FormattableString.Invariant($"epoch {Epoch, 3}/{MaxEpochs}  train loss {TrainLoss:F4} acc {TrainAccuracy:F3}")
        + (
            ValidationLoss is null
                ? ""
                : FormattableString.Invariant($"  val loss {ValidationLoss:F4} acc {ValidationAccuracy:F3}")
        )
        + FormattableString.Invariant($"  {Seconds:F1}s{(IsBest ? "  *best" : "")}");
}

/// <summary>Options of <see cref="AttentionMilTrainer"/>: what to train, as plain data (columns, network,
/// optimiser, seed, device, threads). Defaults follow Ilse et al. (2018) and the BreakHis A-MIL setup. How a run
/// reports, stops and resumes is a <see cref="TrainingControl"/>.</summary>
public sealed class AttentionMilOptions
{
    /// <summary>Label column: a key type (use <c>ml.Transforms.Conversion.MapValueToKey</c>). Default
    /// "Label".</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Bag column written by <c>ml.Transforms.BagPatches</c> (its <c>Layout</c> companion is read too).
    /// Default "Bag".</summary>
    public string BagColumnName { get; set; } = "Bag";

    /// <summary>Optional text column (e.g. patient id) that keeps groups on one side of the validation split. Default
    /// none.</summary>
    public string? GroupColumnName { get; set; }

    /// <summary>The head that pools a bag's instances into the prediction and the map: one of
    /// <see cref="Heads.Pooling"/> (attention, gated, additive, CLAM, DSMIL, TransMIL), e.g.
    /// <c>Heads.Find("clam")</c>. Default <see cref="Heads.Attention"/>.</summary>
    public Head Pooling { get; set; } = Heads.Attention;

    /// <summary>Instance embedding size L. Default 500.</summary>
    public int EmbeddingSize { get; set; } = 500;

    /// <summary>Attention hidden size D. Default 128.</summary>
    public int AttentionSize { get; set; } = 128;

    /// <summary>Adam learning rate. Default 1e-4.</summary>
    public double LearningRate { get; set; } = 1e-4;

    /// <summary>Adam β1. Default 0.9.</summary>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>Adam β2. Default 0.999.</summary>
    public double Beta2 { get; set; } = 0.999;

    /// <summary>Adam weight decay. Default 1e-4.</summary>
    public double WeightDecay { get; set; } = 1e-4;

    /// <summary>Most epochs to train. Default 40.</summary>
    public int MaxEpochs { get; set; } = 40;

    /// <summary>Stop after this many epochs without a better validation loss; 0 = never stop early. Default
    /// 10.</summary>
    public int EarlyStoppingPatience { get; set; } = 10;

    /// <summary>Share of the training data held out (stratified by class, seeded) to pick the best epoch, when no
    /// validation set is passed to Fit. 0 = no validation: the last epoch is kept. Default 0.2.</summary>
    public double ValidationFraction { get; set; } = 0.2;

    /// <summary>After training, fit temperature scaling (one T dividing the logits, Guo et al. 2017) on the
    /// validation data, so the scored probabilities are calibrated; the predicted class does not change. Without
    /// validation data T stays 1. The fitted T is <see cref="AttentionMilModelParameters.Temperature"/>. Default
    /// true.</summary>
    public bool CalibrateTemperature { get; set; } = true;

    /// <summary>Explicit loss weight per class (index = key value − 1). Default none (all 1).</summary>
    public float[]? ClassWeights { get; set; }

    /// <summary>Weight classes inversely to their frequency in the training split (ignored when <see
    /// cref="ClassWeights"/> is set). Default false.</summary>
    public bool BalanceClasses { get; set; }

    /// <summary>Seed for weights, split and shuffling; the same seed and data give the same model on CPU. Default:
    /// drawn from the <see cref="Microsoft.ML.MLContext"/> the trainer came from (so <c>new MLContext(seed: 7)</c>
    /// reproduces), or <see cref="DefaultSeed"/> when the trainer is built without one.</summary>
    public int? Seed { get; set; }

    /// <summary>Where training runs: <see cref="ComputeDevice.Cpu"/> (default), a CUDA GPU, or auto (the GPU when
    /// libtorch has CUDA). Results on the CPU are unchanged by this setting; the saved model does not depend on
    /// it.</summary>
    public ComputeDevice Device { get; set; } = ComputeDevice.Cpu;

    /// <summary>The seed used when neither <see cref="Seed"/> nor an MLContext seed is given.</summary>
    public const int DefaultSeed = 1;

    /// <summary>The seed training uses.</summary>
    internal int EffectiveSeed => Seed ?? DefaultSeed;

    /// <summary>A copy that shares nothing mutable with this one (the class weights are copied too).</summary>
    internal AttentionMilOptions Clone()
    {
        var copy = (AttentionMilOptions)MemberwiseClone();
        copy.ClassWeights = ClassWeights?.ToArray();
        return copy;
    }

    /// <summary>Bags decoded ahead of the network on a background thread. Default 4.</summary>
    public int ReadAhead { get; set; } = 4;

    /// <summary>Threads that decode images (and cut patches) for training; the order of the bags, and so the model,
    /// does not depend on it. At most two chunks of max(16, 2 × workers) decoded bags are held. Default <see
    /// cref="DefaultReadWorkers"/>.</summary>
    public int ReadWorkers { get; set; } = DefaultReadWorkers;

    /// <summary>One decoding thread per core, at most 8 (more feed no CPU network and hold more bags).</summary>
    public static int DefaultReadWorkers => Math.Min(Environment.ProcessorCount, 8);

    /// <summary>Bags per optimizer step. Default 1, the MIL convention, which gives the same model as earlier versions.
    /// Larger batches keep a GPU busy: the encoder runs on all their patches at once, attention stays per bag, and a
    /// step minimises the batch's mean loss (so fewer, larger steps: revisit the learning rate). On a CPU they do not
    /// pay.</summary>
    public int BatchBags { get; set; } = 1;

    /// <summary>Which network to train: Attention-MIL (default), or the whole-image CNN baseline whose map is Grad-CAM
    /// (for comparing localization; reach it as <c>Trainers.CnnBaseline(options)</c>).</summary>
    public Networks.NetworkArchitecture Architecture { get; set; } = Networks.NetworkArchitecture.AttentionMil;

    /// <summary>Feature mode only: dropout after the feature projection while training. Default 0.25.</summary>
    public double FeatureDropout { get; set; } = 0.25;

    /// <summary>CNN baseline only: the stitched image is downscaled by this factor before the first conv (2 = half
    /// resolution, ~4× cheaper on CPU). Default 2.</summary>
    public int CnnInputScale { get; set; } = 2;

    /// <summary>CLAM: patches taken from each end of the true class's attention ranking for the instance loss (k).
    /// Default 8, CLAM's. <see cref="AutoInstanceSamples"/> (0) sets k from each bag's size N: ⌈√N / 8⌉, at most 8
    /// (8 from N = 3,137 patches on, CLAM's slide bags; 3 for a 400-patch image).</summary>
    public int ClamInstanceSamples { get; set; } = 8;

    /// <summary>The <see cref="ClamInstanceSamples"/> value that sets k from each bag's size.</summary>
    public const int AutoInstanceSamples = 0;

    /// <summary>Additive MIL: hidden units of the per-patch classifier ψ. Default 0: one linear layer (its bag
    /// prediction equals gated attention pooling's; the map is the exact per-patch decomposition). N &gt; 0: Linear →
    /// ReLU → Linear as in Javed et al., which localized worse in our study (docs/results.md).</summary>
    public int AdditiveHiddenSize { get; set; }

    /// <summary>CLAM: weight of the bag loss against the instance loss (total = w·bag + (1 − w)·instance). Default 0.7,
    /// CLAM's.</summary>
    public double ClamBagWeight { get; set; } = 0.7;

    /// <summary>An epoch whose training loss exceeds the first epoch's by this factor draws a warning. Default
    /// 100.</summary>
    public double ExplodingLossFactor { get; set; } = 100;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (Pooling is null || !Pooling.Pools)
            throw new ArgumentException(
                $"Pooling must be a MIL head ({string.Join(", ", Heads.Pooling)}); got {Pooling?.Name ?? "none"}."
                    + " The CNN baseline is its own trainer (Trainers.CnnBaseline)."
            );
        if (AdditiveHiddenSize < 0)
            throw new ArgumentException($"AdditiveHiddenSize must be 0 or more (got {AdditiveHiddenSize}).");
        if (ClamInstanceSamples < 0)
            throw new ArgumentException(
                $"ClamInstanceSamples must be at least 1, or 0 for k from the bag size (got {ClamInstanceSamples})."
            );
        if (ClamBagWeight is < 0 or > 1 || double.IsNaN(ClamBagWeight))
            throw new ArgumentException($"ClamBagWeight must be in [0, 1] (got {ClamBagWeight}).");
        if (string.IsNullOrWhiteSpace(LabelColumnName))
            throw new ArgumentException("LabelColumnName must be set.");
        if (string.IsNullOrWhiteSpace(BagColumnName))
            throw new ArgumentException("BagColumnName must be set.");
        if (EmbeddingSize < 1 || AttentionSize < 1)
            throw new ArgumentException("EmbeddingSize and AttentionSize must be positive.");
        if (!(LearningRate > 0))
            throw new ArgumentException($"LearningRate must be positive (got {LearningRate}).");
        if (Beta1 is < 0 or >= 1 || Beta2 is < 0 or >= 1)
            throw new ArgumentException("Adam betas must be in [0, 1).");
        if (WeightDecay < 0)
            throw new ArgumentException("WeightDecay must not be negative.");
        if (MaxEpochs < 1)
            throw new ArgumentException($"MaxEpochs must be at least 1 (got {MaxEpochs}).");
        if (EarlyStoppingPatience < 0)
            throw new ArgumentException("EarlyStoppingPatience must not be negative.");
        if (ValidationFraction is < 0 or >= 1)
            throw new ArgumentException($"ValidationFraction must be in [0, 1) (got {ValidationFraction}).");
        if (FeatureDropout is < 0 or >= 1)
            throw new ArgumentException($"FeatureDropout must be in [0, 1) (got {FeatureDropout}).");
        if (CnnInputScale < 1)
            throw new ArgumentException($"CnnInputScale must be at least 1 (got {CnnInputScale}).");
        if (ReadAhead < 1)
            throw new ArgumentException("ReadAhead must be at least 1.");
        if (ReadWorkers < 1)
            throw new ArgumentException($"ReadWorkers must be at least 1 (got {ReadWorkers}).");
        if (BatchBags < 1)
            throw new ArgumentException($"BatchBags must be at least 1 (got {BatchBags}).");
        if (ClassWeights is { } w && w.Any(x => !(x > 0) || !float.IsFinite(x)))
            throw new ArgumentException("ClassWeights must be positive numbers.");
    }
}
