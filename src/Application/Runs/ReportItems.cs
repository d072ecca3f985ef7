using System.Text;

namespace Amil.MLNet.Application.Runs;

/// <summary>
/// What a run's report shows of its test items beyond the page every run shares (training curves, ROC, metrics,
/// confusion matrix): where their scores come from, the localization table that fits them and the gallery. Images are
/// scored again (their maps are cheap to remake); slides are read from what training wrote.
/// </summary>
internal abstract class ReportItems
{
    /// <summary>"images" or "slides".</summary>
    public abstract string Noun { get; }

    /// <summary>The map kind the page names.</summary>
    public abstract string MapKind { get; }

    /// <summary>Each item's class probabilities and true label, for the ROC.</summary>
    public abstract IReadOnlyList<(float[] Probabilities, string Label)> Scores { get; }

    public abstract void AppendLocalization(StringBuilder html);

    public abstract void AppendGallery(StringBuilder html);
}
