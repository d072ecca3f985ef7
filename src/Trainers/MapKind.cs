using Amil.MLNet.Trainers.Networks;

namespace Amil.MLNet.Trainers;

/// <summary>What a model's per-patch localization map is.</summary>
public enum MapKind
{
    /// <summary>Attention weights (Attention-MIL on patches or on features): one per patch, summing to 1.</summary>
    Attention,

    /// <summary>Grad-CAM for the predicted class (the CNN baseline), averaged over each patch.</summary>
    GradCam,
}

/// <summary>The names model and map kinds go by in files, columns and messages — kept here, in one place.</summary>
public static class ModelKinds
{
    /// <summary>The map a network produces.</summary>
    public static MapKind Map(this NetworkArchitecture architecture) =>
        architecture == NetworkArchitecture.CnnBaseline ? MapKind.GradCam : MapKind.Attention;

    /// <summary>"attention" or "gradcam": the name in file names, JSON keys and the CLI.</summary>
    public static string Name(this MapKind kind) => kind == MapKind.GradCam ? "gradcam" : "attention";

    /// <summary>"Attention" or "GradCam": the scored data's column.</summary>
    public static string ColumnName(this MapKind kind) => kind == MapKind.GradCam ? "GradCam" : "Attention";

    /// <summary>"attention-mil", "feature-attention-mil" or "cnn-baseline": the name in config.json.</summary>
    public static string Name(this NetworkArchitecture architecture) =>
        architecture switch
        {
            NetworkArchitecture.CnnBaseline => "cnn-baseline",
            NetworkArchitecture.FeatureAttentionMil => "feature-attention-mil",
            _ => "attention-mil",
        };
}
