using Amil.MLNet.Transforms;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace Amil.MLNet.Trainers;

/// <summary>Catalog entry points and the one registration call a loading app makes.</summary>
public static class AmilComponents
{
    /// <summary>Attention-based MIL classifier over bags from <c>ml.Transforms.BagPatches</c>.</summary>
    public static AttentionMilTrainer AttentionMil(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
                                                   AttentionMilOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        // ML.NET keeps the catalog's environment internal; our stages keep their state in saved vectors, not the host.
        return new AttentionMilTrainer(new MLContext(seed: (options ?? new()).Seed), options ?? new AttentionMilOptions());
    }

    /// <summary>The whole-image CNN baseline (5 conv blocks, two FC layers) over the same bags, stitched back into the image;
    /// its localization map is Grad-CAM (output column <c>GradCam</c>). For comparing against Attention-MIL.</summary>
    public static AttentionMilTrainer CnnBaseline(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
                                                  AttentionMilOptions? options = null)
    {
        options ??= new AttentionMilOptions();
        options.Architecture = Networks.NetworkArchitecture.CnnBaseline;
        return catalog.AttentionMil(options);
    }

    /// <summary>
    /// Registers Amil.MLNet's saved-model components with ML.NET. Call once per <see cref="MLContext"/> before
    /// <c>ml.Model.Load</c> of a model that contains patch bagging or an Attention-MIL model.
    /// </summary>
    public static void RegisterAmilComponents(this ComponentCatalog catalog)
    {
        catalog.RegisterAmilTransforms();
        catalog.RegisterAssembly(typeof(AmilComponents).Assembly);
    }

    /// <summary>Same as <see cref="RegisterAmilComponents(ComponentCatalog)"/>.</summary>
    public static MLContext RegisterAmilComponents(this MLContext ml)
    {
        ml.ComponentCatalog.RegisterAmilComponents();
        return ml;
    }
}
