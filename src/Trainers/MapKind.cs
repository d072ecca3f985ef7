using Amil.MLNet.Trainers.Networks;

namespace Amil.MLNet.Trainers;

/// <summary>What a model's per-patch localization map is.</summary>
public enum MapKind
{
    /// <summary>Attention weights (Attention-MIL on patches or on features): one per patch, summing to 1.</summary>
    Attention,

    /// <summary>Grad-CAM for the predicted class (the CNN baseline), averaged over each patch.</summary>
    GradCam,

    /// <summary>Additive MIL: each patch's exact, signed contribution to the predicted class's logit.</summary>
    Contribution,

    /// <summary>CLAM: the attention branch of the predicted class (one per patch, summing to 1).</summary>
    ClassAttention,

    /// <summary>DSMIL: each patch's instance-classifier score (a logit) for the predicted class.</summary>
    InstanceScore,
}

/// <summary>The names model and map kinds go by in files, columns and messages — kept here, in one place.</summary>
internal static class ModelKinds
{
    /// <summary>The map a network produces.</summary>
    public static MapKind Map(this NetworkSpec spec) => Heads.Of(spec).Map;
}

/// <summary>How a <see cref="NetworkArchitecture"/> is named.</summary>
public static class NetworkArchitectureNames
{
    /// <summary>"attention-mil", "feature-attention-mil" or "cnn-baseline": the name in config.json.</summary>
    public static string Name(this NetworkArchitecture architecture) =>
        architecture switch
        {
            NetworkArchitecture.CnnBaseline => "cnn-baseline",
            NetworkArchitecture.FeatureAttentionMil => "feature-attention-mil",
            _ => "attention-mil",
        };
}

/// <summary>How a <see cref="MapKind"/> is named and read.</summary>
public static class MapKindNames
{
    /// <summary>"attention", "gradcam", "contribution" or "class-attention": the name in file names, JSON keys and
    /// the CLI.</summary>
    public static string Name(this MapKind kind) =>
        kind switch
        {
            MapKind.GradCam => "gradcam",
            MapKind.Contribution => "contribution",
            MapKind.InstanceScore => "instance-score",
            MapKind.ClassAttention => "class-attention",
            _ => "attention",
        };

    /// <summary>The scored data's column: "Attention", "GradCam", "Contribution" or "ClassAttention".</summary>
    public static string ColumnName(this MapKind kind) => kind.ToString();

    /// <summary>Whether the map depends on the predicted class (so a tumour-free call fades it by
    /// construction).</summary>
    public static bool IsClassAware(this MapKind kind) => kind is not MapKind.Attention;

    /// <summary>Whether the model keeps a map per class (additive, CLAM), so any class's map can be read.</summary>
    public static bool HasClassMaps(this MapKind kind) =>
        kind is MapKind.Contribution or MapKind.ClassAttention or MapKind.InstanceScore;
}
