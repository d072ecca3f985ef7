using Amil.MLNet.Trainers;
using Amil.MLNet.Trainers.Networks;
using Microsoft.ML.Runtime;

namespace Microsoft.ML;

/// <summary>Amil.MLNet's trainers on <c>ml.MulticlassClassification.Trainers</c>.</summary>
public static class AmilMulticlassTrainersCatalog
{
    /// <summary>Attention-based multiple instance learning (Ilse et al. 2018) over bags from
    /// <c>ml.Transforms.BagPatches</c> (a LeNet patch encoder trained end to end) or from
    /// <c>ml.Transforms.ExtractPatchFeatures</c> (frozen features: only the attention head trains) — which one is read
    /// from the bag column.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">Key-typed label column. Default "Label".</param>
    /// <param name="bagColumnName">Bag column (patches or features). Default "Bag".</param>
    /// <param name="pooling">The head that pools the bag's patches, one of <see cref="Heads.Pooling"/> (attention,
    /// gated, additive, CLAM, DSMIL, TransMIL), e.g. <c>Heads.Find("clam")</c>. Default (null) attention.</param>
    /// <param name="maxEpochs">Most epochs to train. Default 40.</param>
    /// <param name="learningRate">Adam learning rate. Default 1e-4.</param>
    public static AttentionMilTrainer AttentionMil(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label",
        string bagColumnName = "Bag",
        Head? pooling = null,
        int maxEpochs = 40,
        double learningRate = 1e-4
    ) =>
        catalog.AttentionMil(
            new AttentionMilOptions
            {
                LabelColumnName = labelColumnName,
                BagColumnName = bagColumnName,
                Pooling = pooling ?? Heads.Attention,
                MaxEpochs = maxEpochs,
                LearningRate = learningRate,
            }
        );

    /// <summary>Attention-MIL with every setting of <paramref name="options"/>; the seed comes from the MLContext
    /// unless <see cref="AttentionMilOptions.Seed"/> is set.</summary>
    public static AttentionMilTrainer AttentionMil(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        AttentionMilOptions options
    )
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        var resolved = options.Clone();
        // The catalog's environment gives the seed (drawn as ML.NET's own trainers draw theirs) and the log.
        var host = Amil.MLNet.Transforms.CatalogEnvironment.Of(catalog)?.Register(nameof(AttentionMilTrainer));
        resolved.Seed ??= host?.Rand.Next();
        return new AttentionMilTrainer(new MLContext(seed: resolved.EffectiveSeed), resolved, host);
    }

    /// <summary>The whole-image CNN baseline (5 conv blocks, two FC layers) over the same bags, stitched back into the
    /// image; its localization map is Grad-CAM (output column <c>GradCam</c>). For comparing against
    /// Attention-MIL.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">Key-typed label column. Default "Label".</param>
    /// <param name="bagColumnName">Bag column from <c>ml.Transforms.BagPatches</c> (stride = patch size). Default
    /// "Bag".</param>
    /// <param name="maxEpochs">Most epochs to train. Default 40.</param>
    public static AttentionMilTrainer CnnBaseline(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label",
        string bagColumnName = "Bag",
        int maxEpochs = 40
    ) =>
        catalog.CnnBaseline(
            new AttentionMilOptions
            {
                LabelColumnName = labelColumnName,
                BagColumnName = bagColumnName,
                MaxEpochs = maxEpochs,
            }
        );

    /// <summary>The CNN baseline with every setting of <paramref name="options"/>.</summary>
    public static AttentionMilTrainer CnnBaseline(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        AttentionMilOptions options
    )
    {
        ArgumentNullException.ThrowIfNull(options);
        var baseline = options.Clone();
        baseline.Architecture = NetworkArchitecture.CnnBaseline;
        return catalog.AttentionMil(baseline);
    }
}

/// <summary>The one registration call an app makes before loading a model that contains Amil.MLNet stages.</summary>
public static class AmilComponentCatalog
{
    /// <summary>Registers Amil.MLNet's saved-model components with ML.NET. Call once per <see cref="MLContext"/> before
    /// <c>ml.Model.Load</c> of a model that contains patch bagging or an Attention-MIL model.</summary>
    public static void RegisterAmilComponents(this ComponentCatalog catalog)
    {
        catalog.RegisterAmilTransforms();
        catalog.RegisterAmilSlides();
        catalog.RegisterAssembly(typeof(AttentionMilTrainer).Assembly);
    }

    /// <summary>Same as <see cref="RegisterAmilComponents(ComponentCatalog)"/>; returns <paramref
    /// name="ml"/>.</summary>
    public static MLContext RegisterAmilComponents(this MLContext ml)
    {
        ml.ComponentCatalog.RegisterAmilComponents();
        return ml;
    }
}
