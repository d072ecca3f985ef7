namespace Amil.MLNet.Trainers;

/// <summary>The model file holds a slide-level model (the attention head on rows of tile features, written by train on
/// a whole-slide dataset), which scores slides, not images: the model argument is of the wrong kind for an image
/// tool.</summary>
public sealed class SlideLevelModelException(string path)
    : ArgumentException(
        $"{path}: a slide-level model (the attention head on tile features, written by train on a whole-slide "
            + "dataset); it scores slides, not images: amil evaluate/localize --dataset <slide dataset>, amil "
            + "heatmap/predict --input <slide>."
    )
{
    public string ModelPath { get; } = path;
}
