using Amil.MLNet.Trainers;

namespace Amil.MLNet.Application;

/// <summary>Everything `train` can be told; null means "the dataset's setting" or the trainer default.</summary>
public sealed record TrainSettings
{
    /// <summary>The settings with <paramref name="head"/> as the model: its pooling, or the CNN baseline.</summary>
    public static TrainSettings For(Head head, TrainSettings settings) =>
        head.Pools
            ? settings with
            {
                Pooling = head,
            }
            : settings with
            {
                Network = Trainers.Networks.NetworkArchitecture.CnnBaseline,
            };

    public DatasetSelection Dataset { get; init; } = new();

    /// <summary>Run folder; default runs/&lt;dataset&gt;-&lt;timestamp&gt; under the current folder.</summary>
    public string? OutDirectory { get; init; }
    public int Epochs { get; init; } = 15;
    public int Seed { get; init; } = 1;
    public int? PatchSize { get; init; }
    public int? Stride { get; init; }

    /// <summary>"HxW" or "none".</summary>
    public string? Crop { get; init; }

    /// <summary>Resize every image to "HxW" before the crop, or "none"; null: the dataset's setting.</summary>
    public string? Resize { get; init; }

    /// <summary>Largest bag (patches per image) to accept; null: what the memory budget allows for the encoder and
    /// patch size.</summary>
    public int? MaxPatches { get; init; }

    /// <summary>The MIL head (one of <see cref="Heads.Pooling"/>). Default attention.</summary>
    public Head Pooling { get; init; } = Heads.Attention;

    /// <summary>CLAM pooling: patches from each end of the attention ranking for the instance loss (k); 0 sets it from
    /// each bag's size. Default 8.</summary>
    public int ClamInstanceSamples { get; init; } = 8;

    /// <summary>Additive pooling: hidden units of the per-patch classifier (0 = linear, the default).</summary>
    public int AdditiveHidden { get; init; }

    /// <summary>CLAM pooling: weight of the bag loss against the instance loss. Default 0.7.</summary>
    public double ClamBagWeight { get; init; } = 0.7;
    public int Patience { get; init; } = 10;
    public bool BalanceClasses { get; init; }

    /// <summary>Pad images smaller than the crop with white instead of stopping with an error.</summary>
    public bool PadSmallImages { get; init; }
    public double LearningRate { get; init; } = 1e-4;

    /// <summary>cpu (default), cuda, cuda:N or auto (see <see cref="ComputeDevice"/>).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Bags per optimizer step (see <see cref="AttentionMilOptions.BatchBags"/>). Default 1.</summary>
    public int BatchBags { get; init; } = 1;

    /// <summary>Threads decoding images for training; null = one per core, at most 8. The model does not depend on
    /// it.</summary>
    public int? Workers { get; init; }

    /// <summary>Bad files (corrupt, truncated, empty, too small, not images): stop naming them (default) or skip and
    /// count them.</summary>
    public Data.Datasets.BadImagePolicy OnBadImage { get; init; }

    /// <summary>The model to train: Attention-MIL with a LeNet encoder trained end to end (default), Attention-MIL on
    /// frozen, cached ResNet18 features (only the attention head trains), or the whole-image CNN baseline (Grad-CAM
    /// maps), on the same data and split.</summary>
    public Trainers.Networks.NetworkArchitecture Network { get; init; } =
        Trainers.Networks.NetworkArchitecture.AttentionMil;

    /// <summary>Whether the model reads frozen encoder patch features.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool OnFeatures => Network == Trainers.Networks.NetworkArchitecture.FeatureAttentionMil;

    /// <summary>The frozen patch encoder of feature models and of whole slides: "resnet18" (built in, the default) or
    /// an encoder manifest (a path, an ONNX file with its manifest beside it, or a name in $AMIL_ENCODERS; see
    /// <see cref="Transforms.Encoders.PatchEncoders"/>).</summary>
    public string Encoder { get; init; } = Transforms.Encoders.PatchEncoders.ResNet18;

    /// <summary>Feature cache folder for frozen encoders. Default .cache/features under the current folder.</summary>
    public string? FeatureCacheFolder { get; init; }

    /// <summary>Whole slides: tile side in pixels at the tiling scale. Default: the encoder's input size (224 for
    /// ResNet18).</summary>
    public int? TileSize { get; init; }

    /// <summary>Whole slides: tile at this many µm per pixel instead of 20× (e.g. 0.25 for 40×). Default: the scale
    /// the encoder's manifest gives, else 20×.</summary>
    public double? TileMicronsPerPixel { get; init; }

    /// <summary>Whole slides: share of a tile its neighbours overlap, [0, 0.9). Default 0.</summary>
    public double TileOverlap { get; init; }

    /// <summary>Whole slides: leave out the tiles quality control flags (blur, pen, folds, glass). Default
    /// false.</summary>
    public bool TileQualityControl { get; init; }

    /// <summary>Whole slides: tile the training and validation slides only inside their annotated regions (the
    /// dataset's annotation file for each; every region, any class); the test slides are scored as the saved model
    /// scores any slide, over all their tissue. Default false.</summary>
    public bool TileWithinAnnotations { get; init; }

    /// <summary>Whole slides: one bag per slide (the default) or per patient (<see cref="BagUnit.Patient"/>: every
    /// slide of a patient in one bag, labelled with the patient's class).</summary>
    public BagUnit BagBy { get; init; }

    /// <summary>Whole slides: train also on recoloured copies of each training slide (HED or HSV colour augmentation,
    /// <see cref="Transforms.Stain.ColourAugmentation"/>): each copy a bag of its own, encoded once and cached.
    /// Default none.</summary>
    public Transforms.Stain.ColourAugmentationMethod? Augmentation { get; init; }

    /// <summary>σ of <see cref="Augmentation"/>, in (0, 1]. Default 0.05.</summary>
    public double AugmentationStrength { get; init; } = 0.05;

    /// <summary>Recoloured copies of each training slide under <see cref="Augmentation"/>. Default 2.</summary>
    public int AugmentationCopyCount { get; init; } = 2;

    /// <summary>The training copies <see cref="Augmentation"/> asks for (none without it).</summary>
    internal IReadOnlyList<Transforms.Stain.ColourAugmentation> AugmentationCopies()
    {
        if (Augmentation is not { } method)
            return [];
        if (AugmentationCopyCount is < 1 or > 16)
            throw new ArgumentException(
                $"The colour augmentation's copies must be 1 to 16 (got {AugmentationCopyCount}); each one encodes "
                    + "every training slide again."
            );
        return
        [
            .. Enumerable
                .Range(1, AugmentationCopyCount)
                .Select(k => new Transforms.Stain.ColourAugmentation(method, AugmentationStrength, k).Checked()),
        ];
    }

    /// <summary>Images and slides: normalise to a reference stain before encoding. Default none.</summary>
    public Transforms.Stain.StainMethod Stain { get; init; }

    /// <summary>Images and slides: the stain reference, an image or a slide; default the training item most typical
    /// of the training set (<see cref="StainReferences"/>).</summary>
    public string? StainReference { get; init; }

    /// <summary>Throws when settings for whole slides are given for <paramref name="dataset"/>, which holds
    /// images.</summary>
    internal void RefuseTilingOnImages(string dataset)
    {
        bool tiling = TileSize is not null || TileMicronsPerPixel is not null || TileOverlap != 0;
        if (tiling || TileQualityControl || TileWithinAnnotations)
            throw new ArgumentException(
                $"Dataset '{dataset}' holds images; tile size, µm per pixel, overlap, tile quality control and tiling "
                    + "within annotations are for whole-slide datasets (images are cut by the patch size, stride and "
                    + "crop)."
            );
        if (BagBy != BagUnit.Slide)
            throw new ArgumentException(
                $"Dataset '{dataset}' holds images; bags by patient are for whole-slide datasets (each image is a bag)."
            );
        if (Augmentation is not null)
            throw new ArgumentException(
                $"Dataset '{dataset}' holds images; colour augmentation is built for whole-slide datasets so far "
                    + "(recoloured copies of each training slide's cached tile features)."
            );
    }

    /// <summary>The slide tiling these settings ask for (TileSlides' defaults unless set).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Slides.SlideTilesOptions SlideTiles =>
        new()
        {
            Encoder = Encoder,
            TileSize = TileSize ?? Transforms.Encoders.PatchEncoders.InputSize(Encoder),
            MicronsPerPixel = TileMicronsPerPixel ?? Transforms.Encoders.PatchEncoders.MicronsPerPixel(Encoder),
            Overlap = TileOverlap,
            QualityControl = TileQualityControl,
        };

    /// <summary>A split file (<see cref="Data.Datasets.SplitFile"/>: path,label,patient,part) to train on instead of
    /// the dataset's own split; a cross-validation writes one per fold.</summary>
    public string? SplitFile { get; init; }

    /// <summary>Continue the interrupted run in this folder with the settings in its config.json (everything else is
    /// ignored).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? Resume { get; init; }

    /// <summary>Set when resuming: continue from the run folder's checkpoint.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool ResumeFromCheckpoint { get; init; }

    /// <summary>Progress callback per checked image (done, total) before training; not saved.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Action<int, int>? OnImageChecked { get; init; }

    /// <summary>Progress callback per bag (done, total, training?); not saved.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Action<int, int, bool>? OnBag { get; init; }

    /// <summary>CNN baseline: downscale factor of the stitched image before the first conv. Default 2.</summary>
    public int CnnInputScale { get; init; } = 2;
}

/// <summary>What one bag of a whole-slide dataset holds.</summary>
public enum BagUnit
{
    /// <summary>One slide's tiles.</summary>
    Slide,

    /// <summary>All the tiles of all of a patient's slides.</summary>
    Patient,
}
