using Amil.MLNet.Trainers;
using Amil.MLNet.Trainers.Networks;

namespace Amil.MLNet.Experiments.Study;

/// <summary>A model the study trains: a MIL pooling (on the LeNet encoder for images, on frozen ResNet18 tile features
/// for slides), or the CNN baseline.</summary>
public enum StudyMethod
{
    /// <summary>Tanh attention (Ilse et al. 2018), the default A-MIL.</summary>
    Attention,

    /// <summary>Gated attention.</summary>
    Gated,

    /// <summary>Additive MIL (Javed et al. 2022).</summary>
    Additive,

    /// <summary>CLAM multi-branch attention with the instance loss (Lu et al. 2021).</summary>
    Clam,

    /// <summary>The whole-image CNN baseline, read with Grad-CAM (images only).</summary>
    Cnn,

    /// <summary>DSMIL (Li et al. 2021): a max-pooled instance classifier and attention to the critical
    /// instance.</summary>
    Dsmil,

    /// <summary>TransMIL (Shao et al. 2021): Nyström self-attention over the instances and a class token.</summary>
    TransMil,
}

/// <summary>Names and training settings of <see cref="StudyMethod"/>.</summary>
public static class StudyMethods
{
    private static readonly (StudyMethod Method, string Name)[] Names =
    [
        (StudyMethod.Attention, "attention"),
        (StudyMethod.Gated, "gated"),
        (StudyMethod.Additive, "additive"),
        (StudyMethod.Clam, "clam"),
        (StudyMethod.Cnn, "cnn"),
        (StudyMethod.Dsmil, "dsmil"),
        (StudyMethod.TransMil, "transmil"),
    ];

    public static IReadOnlyList<StudyMethod> All { get; } = Names.Select(n => n.Method).ToArray();
    public static IReadOnlyList<string> AllNames { get; } = Names.Select(n => n.Name).ToArray();

    public static string Name(this StudyMethod method) => Names.First(n => n.Method == method).Name;

    public static StudyMethod Parse(string name)
    {
        foreach (var (method, known) in Names)
            if (string.Equals(known, name, StringComparison.OrdinalIgnoreCase))
                return method;
        throw new ArgumentException($"'{name}' is not a study method; use {string.Join(", ", AllNames)}.");
    }

    /// <summary>The training settings for this method, on top of the study's common ones.</summary>
    public static TrainSettings Apply(this StudyMethod method, TrainSettings settings) =>
        method switch
        {
            StudyMethod.Cnn => settings with { Network = NetworkArchitecture.CnnBaseline },
            StudyMethod.Gated => settings with { Pooling = AttentionPoolingKind.GatedAttention },
            StudyMethod.Additive => settings with { Pooling = AttentionPoolingKind.Additive },
            StudyMethod.Clam => settings with { Pooling = AttentionPoolingKind.Clam },
            StudyMethod.Dsmil => settings with { Pooling = AttentionPoolingKind.Dsmil },
            StudyMethod.TransMil => settings with { Pooling = AttentionPoolingKind.TransMil },
            _ => settings with { Pooling = AttentionPoolingKind.Attention },
        };
}
