namespace Amil.MLNet.Viewer;

/// <summary>One scored image or slide the viewer shows: its file, what the model said, the truth where known, and
/// its size in the pixels its map's coordinates use (the prepared image for images, level 0 for slides).</summary>
internal sealed record ViewItem(
    int Id,
    string Name,
    string FilePath,
    ModelInput Kind,
    ScoredImage Scored,
    int Width,
    int Height,
    string? Label,
    string? MaskPath
)
{
    /// <summary>The CNN baseline's scoring of the same image (its map is Grad-CAM), when one was given.</summary>
    public ScoredImage? GradCam { get; init; }

    /// <summary>The file's own size (before any resize or padding), in whose pixels exported tiles lie; the map's
    /// size when not set.</summary>
    public (int Width, int Height) Original
    {
        get => _original ?? (Width, Height);
        init => _original = value;
    }

    private readonly (int Width, int Height)? _original;

    /// <summary>Whether the predicted class is the true one; null without a true label.</summary>
    public bool? Correct(IReadOnlyList<string> classes) =>
        Label is null ? null : classes[Scored.PredictedIndex] == Label;
}

/// <summary>Everything `amil view` serves: the items of one run, folder, dataset or file, scored by one model (or
/// read from predictions.json), and the folders their files may come from.</summary>
internal sealed record ViewSet(
    string Title,
    IReadOnlyList<ViewItem> Items,
    IReadOnlyList<string> Classes,
    MapKind MapKind,
    IReadOnlyList<string> TumourClasses,
    string? ReportPath
);
