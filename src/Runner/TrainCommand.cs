using System.CommandLine;
using System.Globalization;
using Amil.MLNet.Application;
using Amil.MLNet.Trainers;

namespace Amil.MLNet.Runner;

internal static class TrainCommand
{
    public static Command Create()
    {
        var dataset = CommonOptions.Dataset();
        var datasets = CommonOptions.DatasetsFile();
        var data = CommonOptions.Data();
        var layout = CommonOptions.Layout();
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
        var pooling = new Option<string>("--pooling")
        {
            Description = string.Join(" ", Heads.Pooling.Select(h => $"{h.Name}: {h.Summary}")),
            DefaultValueFactory = _ => Heads.Attention.Name,
        };
        pooling.AcceptOnlyFromAmong([.. Heads.Pooling.Select(h => h.Name)]);
        var clamK = new Option<string>("--clam-k")
        {
            Description =
                "--pooling clam: patches from each end of the attention ranking for the instance loss (k), or auto: "
                + "from each bag's size N, ceil(sqrt(N) / 8) at most 8.",
            DefaultValueFactory = _ => defaults.ClamInstanceSamples.ToString(CultureInfo.InvariantCulture),
        };
        var additiveHidden = new Option<int>("--additive-hidden")
        {
            Description =
                "--pooling additive: hidden units of the per-patch classifier. 0: one linear layer (its prediction "
                + "equals gated attention's; the map is the exact per-patch decomposition). N > 0: an MLP as in "
                + "Javed et al. (localized worse in our study; docs/results.md).",
            DefaultValueFactory = _ => defaults.AdditiveHidden,
        };
        var clamBagWeight = new Option<double>("--clam-bag-weight")
        {
            Description = "--pooling clam: weight of the bag loss against the instance loss (CLAM's 0.7).",
            DefaultValueFactory = _ => defaults.ClamBagWeight,
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
        var pad = new Option<bool>("--pad-small-images")
        {
            Description = "Pad images smaller than the crop with white instead of stopping with an error.",
        };
        var onBadImage = CommonOptions.OnBadImage();
        var baseline = new Option<string>("--baseline")
        {
            Description =
                "none (Attention-MIL) or cnn: the whole-image CNN baseline (5 conv blocks) whose map is Grad-CAM, "
                + "for localize's comparison.",
            DefaultValueFactory = _ => "none",
        };
        baseline.AcceptOnlyFromAmong("none", "cnn");
        var cnnScale = new Option<int>("--cnn-input-scale")
        {
            Description = "CNN baseline: downscale the image by this factor before the first conv.",
            DefaultValueFactory = _ => defaults.CnnInputScale,
        };
        var encoder = new Option<string>("--encoder")
        {
            Description =
                "lenet: LeNet patch encoder trained end to end (28 px patches); resnet18: frozen ImageNet ResNet18 "
                + "features (224 px patches unless "
                + "--patch-size is given), cached on disk, only the attention head trains.",
            DefaultValueFactory = _ => "lenet",
        };
        encoder.AcceptOnlyFromAmong("lenet", "resnet18");
        var featureCache = new Option<string?>("--feature-cache")
        {
            Description = "Feature cache folder for --encoder resnet18 (default .cache/features).",
        };
        var resume = new Option<string?>("--resume")
        {
            Description =
                "Continue the interrupted run in this folder (runs/<name>) from its last finished epoch, with its "
                + "saved settings.",
        };
        var lr = new Option<double>("--learning-rate")
        {
            Description = "Adam learning rate.",
            DefaultValueFactory = _ => defaults.LearningRate,
        };

        var device = CommonOptions.Device("where training runs (and the test split is scored)");
        var batchBags = CommonOptions.BatchBags();
        var workers = CommonOptions.Workers();

        var command = new Command(
            "train",
            "Train an Attention-MIL model; writes runs/<name>/model.zip, metrics.json, split.json, history.csv, "
                + "config.json.\n"
                + "Ctrl-C stops after saving the last finished epoch; --resume continues it.\n"
                + "Example: amil train --dataset synthetic --epochs 20\n         amil train --baseline cnn   (the "
                + "Grad-CAM baseline for localize)\n"
                + "         amil train --resume runs/synthetic-20261125-101500"
        )
        {
            dataset,
            datasets,
            data,
            layout,
            output,
            epochs,
            seed,
            patchSize,
            stride,
            crop,
            resize,
            maxPatches,
            pooling,
            clamK,
            clamBagWeight,
            additiveHidden,
            patience,
            balance,
            pad,
            onBadImage,
            lr,
            device,
            batchBags,
            workers,
            baseline,
            cnnScale,
            encoder,
            featureCache,
            resume,
        };
        var tiles = CommonOptions.SlideTiles();
        command.Options.Add(tiles.Size);
        command.Options.Add(tiles.MicronsPerPixel);
        command.Options.Add(tiles.Overlap);
        command.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                {
                    var settings = new TrainSettings
                    {
                        Dataset = CommonOptions.Selection(r, dataset, datasets, data, layout),
                        OutDirectory = r.GetValue(output),
                        Epochs = r.GetValue(epochs),
                        Seed = r.GetValue(seed),
                        PatchSize = r.GetValue(patchSize),
                        Stride = r.GetValue(stride),
                        Crop = r.GetValue(crop),
                        Resize = r.GetValue(resize),
                        MaxPatches = r.GetValue(maxPatches),
                        Pooling = Heads.Find(r.GetValue(pooling)!).Pooling!.Value,
                        ClamInstanceSamples = ClamK(r.GetValue(clamK)!),
                        ClamBagWeight = r.GetValue(clamBagWeight),
                        AdditiveHidden = r.GetValue(additiveHidden),
                        Patience = r.GetValue(patience),
                        BalanceClasses = r.GetValue(balance),
                        PadSmallImages = r.GetValue(pad),
                        LearningRate = r.GetValue(lr),
                        Device = r.GetValue(device)!,
                        BatchBags = CommonOptions.Positive(r, batchBags),
                        Workers = CommonOptions.PositiveOrNull(r, workers),
                        OnBadImage = CommonOptions.Policy(r, onBadImage),
                        Network = Network(r.GetValue(baseline)!, r.GetValue(encoder)!),
                        CnnInputScale = r.GetValue(cnnScale),
                        FeatureCacheFolder = r.GetValue(featureCache),
                    };
                    settings = tiles.Apply(r, settings);
                    if (settings.CnnInputScale < 1)
                        throw new ArgumentException(
                            $"--cnn-input-scale must be at least 1 (got {settings.CnnInputScale})."
                        );
                    if (settings.Epochs < 1)
                        throw new ArgumentException($"--epochs must be at least 1 (got {settings.Epochs}).");
                    if (r.GetValue(resume) is { } resumeDir)
                        settings = new TrainSettings { Resume = resumeDir };
                    var interrupt = CommandRunner.Interrupt;
                    var result = LiveProgress.Training(
                        settings.Epochs,
                        (log, onBag, onChecked) =>
                            TrainJob.Run(settings with { OnBag = onBag, OnImageChecked = onChecked }, log, interrupt)
                    );
                    MetricsPrinter.Print(result.Metrics);
                    if (result.Metrics.SkippedImages is { Count: > 0 } skippedFiles)
                        Console.WriteLine(
                            $"Skipped {skippedFiles.Count} bad file(s); listed under skipped_images in metrics.json."
                        );
                    Console.WriteLine($"Run folder: {result.RunDirectory}");
                }
            )
        );
        return command;
    }

    /// <summary>--baseline and --encoder → the one model kind.</summary>
    private static Trainers.Networks.NetworkArchitecture Network(string baseline, string encoder) =>
        (baseline, encoder) switch
        {
            ("cnn", "lenet") => Trainers.Networks.NetworkArchitecture.CnnBaseline,
            ("cnn", _) => throw new ArgumentException(
                "--baseline cnn trains a whole-image CNN; it takes no --encoder."
            ),
            (_, "resnet18") => Trainers.Networks.NetworkArchitecture.FeatureAttentionMil,
            _ => Trainers.Networks.NetworkArchitecture.AttentionMil,
        };

    /// <summary>--clam-k: a count of at least 1, or auto (k from each bag's size).</summary>
    private static int ClamK(string text) =>
        text.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase) ? AttentionMilOptions.AutoInstanceSamples
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k >= 1 ? k
        : throw new ArgumentException($"--clam-k '{text}' is not auto or a whole number of at least 1.");
}

internal static class MetricsPrinter
{
    public static void Print(RunMetrics m)
    {
        foreach (var (name, block) in new[] { ("validation", m.Validation), ("test", m.Test) })
        {
            if (block is null)
                continue;
            var line = string.Create(
                CultureInfo.InvariantCulture,
                $"{name, -10} {m.Unit} {block.Images, 4}  accuracy {block.Accuracy:F3}  macro-F1 {block.MacroF1:F3}  "
                    + $"log-loss {block.LogLoss:F3}"
            );
            if (block.Auc is double auc)
                line += string.Create(CultureInfo.InvariantCulture, $"  AUC {auc:F3}");
            if (block.PatientAccuracy is double pa)
                line += string.Create(
                    CultureInfo.InvariantCulture,
                    $"  patient accuracy {pa:F3} ({block.Patients} patients)"
                );
            Console.WriteLine(line);
        }
    }
}
