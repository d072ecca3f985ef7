using Amil.MLNet.Trainers;

namespace Amil.MLNet.Application;

/// <summary>Loads a model.zip for a job that needs one kind, and says so when the file holds the other.</summary>
public static class ModelFiles
{
    /// <exception cref="ArgumentException">The model scores the other kind of input.</exception>
    public static AmilModel Load(string path, ModelInput expected)
    {
        var model = AmilModel.Load(path);
        if (model.Input == expected)
            return model;
        throw new ArgumentException(
            expected == ModelInput.Images
                ? $"{path}: a slide-level model (train wrote it on a whole-slide dataset); it scores slides, not "
                    + "images: evaluate/localize it on a slide dataset, heatmap/predict it on slide files."
                : $"{path}: an image model; slides need a model.zip that train wrote on a whole-slide dataset."
        );
    }
}
