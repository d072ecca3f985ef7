using Amil.MLNet.Application.Runs;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Maps.Heatmaps;

namespace Amil.MLNet.Application;

/// <summary>
/// The one step that measures a scored set's maps against its masks, for images and slides alike: a training's test
/// split, an evaluation, a cross-validation's pooled folds. What differs is only the metrics that fit the input:
/// images give metrics.json's localization block (instance AUROC/AP, pixel AUROC, Dice, pointing game); slides give
/// localization.json (tile AUROC/AP, CAMELYON16 FROC, lesion sizes) with heatmaps.
/// </summary>
public static class TestLocalization
{
    /// <summary>What was measured: the block for images or the report for slides; both null when no item has a mask
    /// (or, for slides, no mask holds tumour).</summary>
    public sealed record Measured(LocalizationBlock? Images, SlideLocalization.Report? Slides)
    {
        /// <summary>Nothing measured.</summary>
        public static readonly Measured None = new(null, null);

        /// <summary>Writes localization.json (slides) into <paramref name="folder"/>; images keep theirs in
        /// metrics.json.</summary>
        public void WriteInto(string folder)
        {
            if (Slides is { } report)
                RunFiles.WriteJson(Path.Combine(folder, RunFiles.LocalizationFile), report);
        }
    }

    /// <param name="items">The scored items, in <paramref name="scored"/>'s order; those without a mask are left
    /// out.</param>
    /// <param name="folder">Slides: where the heatmaps go (its <c>heatmaps/</c>).</param>
    /// <param name="modelLabel">The model's name in the slide report's rows.</param>
    /// <param name="classification">The same items' classification metrics, shown beside the slide maps.</param>
    public static Measured Measure(
        AmilModel model,
        IReadOnlyList<ImageRecord> items,
        IReadOnlyList<ScoredImage> scored,
        string folder,
        string modelLabel,
        ClassificationMetrics? classification,
        Action<string> log,
        MapNormalization normalization = MapNormalization.None
    )
    {
        if (!items.Any(r => r.MaskPath is not null))
            return Measured.None;
        return model.Input == ModelInput.Slides
            ? new(null, SlideLocalization.Run(items, scored, model.ClassNames, folder, log, modelLabel, classification))
            : new(
                LocalizationBlock.From(Localizing.Evaluate(model.ClassNames, items.Zip(scored), normalization)),
                null
            );
    }
}
