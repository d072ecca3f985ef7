using System.CommandLine;
using System.Globalization;
using Amil.MLNet.Application;
using Amil.MLNet.Trainers;

namespace Amil.MLNet.Runner;

// train's options in three groups, each adding its options to the command and reading them into the settings.

/// <summary>Where the run goes and how long, how and where it trains; --resume.</summary>
internal sealed class RunOptions
{
    private readonly Func<ParseResult, TrainSettings, TrainSettings> _apply;
    private readonly Option<string?> _resume = new Option<string?>("--resume")
    {
        Description =
            "Continue the stopped run in this folder (runs/<name>) from where it stopped, with its saved settings "
            + "(the result equals an uninterrupted run's).",
    };

    private readonly Option<int?> _folds = new("--folds")
    {
        Description =
            "k-fold cross-validation: K folds by patient and class, written once to OUT/splits/fold-K.csv (edit them "
            + "and run again to use yours), each fold a run folder OUT/fold-K, summarised in OUT/cv.json and cv.md "
            + "(per fold, mean ± sd, pooled out-of-fold with intervals; the maps against masks likewise). Running it "
            + "again continues it.",
    };
    private readonly Option<double?> _heldOutTest = new("--held-out-test")
    {
        Description =
            "With --folds: hold this share (e.g. 0.2) out as every fold's test set; the folds are then the "
            + "validation sets. Default: none, each fold is tested once.",
    };

    public RunOptions(Command command)
    {
        var defaults = new TrainSettings();
        var output = new Option<string?>("--out") { Description = "Run folder (default: runs/<dataset>-<timestamp>)." };
        var epochs = new Option<int>("--epochs")
        {
            Description = "Most epochs to train.",
            DefaultValueFactory = _ => defaults.Epochs,
        };
        var seed = new Option<int>("--seed")
        {
            Description = "Seed for weights and shuffling.",
            DefaultValueFactory = _ => defaults.Seed,
        };
        var patience = new Option<int>("--patience")
        {
            Description = "Early-stopping patience in epochs (0 = off).",
            DefaultValueFactory = _ => defaults.Patience,
        };
        var balance = new Option<bool>("--balance-classes")
        {
            Description = "Weight the loss inversely to class frequency.",
        };
        var lr = new Option<double>("--learning-rate")
        {
            Description = "Adam learning rate.",
            DefaultValueFactory = _ => defaults.LearningRate,
        };
        var device = CommonOptions.Device("where training runs (and the test split is scored)");
        var batchBags = CommonOptions.BatchBags();
        var workers = CommonOptions.Workers();
        var splitFile = new Option<string?>("--split-file")
        {
            Description =
                "Train on this split instead of the dataset's: a CSV with path,label,patient,part (part train, "
                + "validation or test; paths relative to the dataset root), e.g. a fold's file from --folds.",
        };
        foreach (var option in new Option[] { output, epochs, seed, patience, balance, lr, device, batchBags, workers })
            command.Options.Add(option);
        command.Options.Add(splitFile);
        command.Options.Add(_resume);
        command.Options.Add(_folds);
        command.Options.Add(_heldOutTest);
        _apply = (r, settings) =>
            settings with
            {
                OutDirectory = r.GetValue(output),
                Epochs = r.GetValue(epochs),
                Seed = r.GetValue(seed),
                Patience = r.GetValue(patience),
                BalanceClasses = r.GetValue(balance),
                LearningRate = r.GetValue(lr),
                Device = r.GetValue(device)!,
                BatchBags = CommonOptions.Positive(r, batchBags),
                Workers = CommonOptions.PositiveOrNull(r, workers),
                SplitFile = r.GetValue(splitFile),
            };
    }

    /// <summary>--folds (and --held-out-test): the cross-validation asked for, or null for one run.</summary>
    public Application.Study.CrossValidationJob.Plan? CrossValidation(ParseResult r)
    {
        double? heldOut = r.GetValue(_heldOutTest);
        if (r.GetValue(_folds) is not int folds)
            return heldOut is null ? null : throw new ArgumentException("--held-out-test needs --folds.");
        if (folds < 2)
            throw new ArgumentException($"--folds must be at least 2 (got {folds}).");
        if (heldOut is < 0 or >= 1)
            throw new ArgumentException($"--held-out-test must be 0 to under 1 (got {heldOut}).");
        if (r.GetValue(_resume) is not null)
            throw new ArgumentException("--folds continues by running the same command again; it takes no --resume.");
        return new Application.Study.CrossValidationJob.Plan(folds, heldOut ?? 0);
    }

    public TrainSettings Apply(ParseResult r, TrainSettings settings) => _apply(r, settings);

    /// <summary>--resume: the interrupted run's own settings replace every other option.</summary>
    public TrainSettings? Resumed(ParseResult r) =>
        r.GetValue(_resume) is { } folder ? new TrainSettings { Resume = folder } : null;
}

/// <summary>How images become bags: patches, crop, resize, bag-size guard, bad and small images.</summary>
internal sealed class BagOptions
{
    private readonly Func<ParseResult, TrainSettings, TrainSettings> _apply;

    public BagOptions(Command command)
    {
        var defaults = new TrainSettings();
        var patchSize = new Option<int?>("--patch-size")
        {
            Description = "Patch side in pixels (default: the dataset's, 28).",
        };
        var stride = new Option<int?>("--stride")
        {
            Description = "Patch stride in pixels (default: the dataset's, 28); smaller than the patch = overlap.",
        };
        var crop = new Option<string?>("--crop")
        {
            Description = "Centre crop HxW, or none for the whole image (default: the dataset's, 448x700).",
        };
        var resize = new Option<string?>("--resize")
        {
            Description = "Resize every image to HxW before the crop, or none (default: the dataset's, none).",
        };
        var maxPatches = new Option<int?>("--max-patches")
        {
            Description =
                "Largest bag (patches per image) to train on; larger bags stop the job before training with the "
                + "memory they would need "
                + "(default: what a 6 GB budget allows for the encoder and patch size, about 24,600 LeNet patches "
                + "of 28 px).",
        };
        var pad = new Option<bool>("--pad-small-images")
        {
            Description = "Pad images smaller than the crop with white instead of stopping with an error.",
        };
        var onBadImage = CommonOptions.OnBadImage();
        foreach (var option in new Option[] { patchSize, stride, crop, resize, maxPatches, pad, onBadImage })
            command.Options.Add(option);
        _apply = (r, settings) =>
            settings with
            {
                PatchSize = r.GetValue(patchSize),
                Stride = r.GetValue(stride),
                Crop = r.GetValue(crop),
                Resize = r.GetValue(resize),
                MaxPatches = r.GetValue(maxPatches),
                PadSmallImages = r.GetValue(pad),
                OnBadImage = CommonOptions.Policy(r, onBadImage),
            };
    }

    public TrainSettings Apply(ParseResult r, TrainSettings settings) => _apply(r, settings);
}

/// <summary>Which model: pooling head and its settings, encoder, CNN baseline, feature cache.</summary>
internal sealed class HeadOptions
{
    private static readonly TrainSettings Defaults = new();

    private readonly Option<string> _pooling = CommonOptions.OneOf(
        new Option<string>("--pooling")
        {
            Description = string.Join(" ", Heads.Pooling.Select(h => $"{h.Name}: {h.Summary}")),
            DefaultValueFactory = _ => Heads.Attention.Name,
        },
        [.. Heads.Pooling.Select(h => h.Name)]
    );
    private readonly Option<string> _clamK = new("--clam-k")
    {
        Description =
            "--pooling clam: patches from each end of the attention ranking for the instance loss (k), or auto: "
            + "from each bag's size N, ceil(sqrt(N) / 8) at most 8.",
        DefaultValueFactory = _ => Defaults.ClamInstanceSamples.ToString(CultureInfo.InvariantCulture),
    };
    private readonly Option<double> _clamBagWeight = new("--clam-bag-weight")
    {
        Description = "--pooling clam: weight of the bag loss against the instance loss (CLAM's 0.7).",
        DefaultValueFactory = _ => Defaults.ClamBagWeight,
    };
    private readonly Option<int> _additiveHidden = new("--additive-hidden")
    {
        Description =
            "--pooling additive: hidden units of the per-patch classifier. 0: one linear layer (its prediction "
            + "equals gated attention's; the map is the exact per-patch decomposition). N > 0: an MLP as in "
            + "Javed et al. (localized worse in our study; docs/results.md).",
        DefaultValueFactory = _ => Defaults.AdditiveHidden,
    };
    private readonly Option<string> _baseline = CommonOptions.OneOf(
        new Option<string>("--baseline")
        {
            Description =
                "none (Attention-MIL) or cnn: the whole-image CNN baseline (5 conv blocks) whose map is Grad-CAM, "
                + "for localize's comparison.",
            DefaultValueFactory = _ => "none",
        },
        "none",
        "cnn"
    );
    private readonly Option<int> _cnnScale = new("--cnn-input-scale")
    {
        Description = "CNN baseline: downscale the image by this factor before the first conv.",
        DefaultValueFactory = _ => Defaults.CnnInputScale,
    };
    private readonly Option<string> _encoder = new("--encoder")
    {
        Description =
            "lenet: LeNet patch encoder trained end to end (28 px patches); resnet18: frozen ImageNet ResNet18 "
            + "features; or a frozen ONNX encoder: its manifest (.json), its .onnx file with the manifest beside "
            + "it, or a name registered in $AMIL_ENCODERS (docs/encoders.md). Frozen features are cached on disk "
            + "and only the MIL head trains; patches and tiles take the encoder's input size unless --patch-size "
            + "or --tile-size is given. Whole slides always use a frozen encoder (resnet18 unless named).",
        DefaultValueFactory = _ => "lenet",
    };
    private readonly Option<string?> _featureCache = new("--feature-cache")
    {
        Description = "Feature cache folder for frozen encoders (default .cache/features).",
    };

    public HeadOptions(Command command)
    {
        Option[] options =
        [
            _pooling,
            _clamK,
            _clamBagWeight,
            _additiveHidden,
            _baseline,
            _cnnScale,
            _encoder,
            _featureCache,
        ];
        foreach (var option in options)
            command.Options.Add(option);
    }

    public TrainSettings Apply(ParseResult r, TrainSettings settings) =>
        settings with
        {
            Pooling = Heads.Find(r.GetValue(_pooling)!),
            ClamInstanceSamples = TrainCommand.ClamK(r.GetValue(_clamK)!),
            ClamBagWeight = r.GetValue(_clamBagWeight),
            AdditiveHidden = r.GetValue(_additiveHidden),
            Network = TrainCommand.Network(r.GetValue(_baseline)!, r.GetValue(_encoder)!),
            Encoder = r.GetValue(_encoder) is "lenet" ? settings.Encoder : r.GetValue(_encoder)!,
            CnnInputScale = r.GetValue(_cnnScale),
            FeatureCacheFolder = r.GetValue(_featureCache),
        };
}
