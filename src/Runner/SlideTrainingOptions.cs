using System.CommandLine;
using Amil.MLNet.Application;
using Amil.MLNet.Transforms.Stain;

namespace Amil.MLNet.Runner;

/// <summary>train's options for the training bags of whole slides: --bag-by, --tile-within-annotations and --augment
/// (--augment-strength, --augment-copies).</summary>
internal sealed class SlideTrainingOptions
{
    private readonly Option<bool> _withinAnnotations = new("--tile-within-annotations")
    {
        Description =
            "Whole slides: tile the training and validation slides only inside their annotated regions (every "
            + "region of the dataset's annotation file, any class; exclusions cut out); the test slides are "
            + "scored over all their tissue, as the saved model scores any slide.",
    };

    private readonly Option<string> _augment = new("--augment")
    {
        Description =
            "Whole slides: train also on recoloured copies of each training slide, each a bag of its own, "
            + "encoded once and cached: hed (stain amounts scaled and shifted, after Tellez et al.) or hsv; none by "
            + "default. Validation and test slides are not recoloured.",
        DefaultValueFactory = _ => "none",
    };

    private readonly Option<double> _strength = new("--augment-strength")
    {
        Description = "With --augment: σ in (0, 1] (0.05 light, 0.2 strong).",
        DefaultValueFactory = _ => 0.05,
    };

    private readonly Option<int> _copies = new("--augment-copies")
    {
        Description = "With --augment: recoloured copies of each training slide, 1 to 16 (each encodes them again).",
        DefaultValueFactory = _ => 2,
    };

    private readonly Option<string> _bagBy = new("--bag-by")
    {
        Description =
            "Whole slides: one bag per slide, or per patient (all of a patient's slides in one bag, labelled with "
            + "the patient's class; the dataset must give each slide's patient, and a patient's slides one class). "
            + "Metrics count patients; each slide keeps its own map.",
        DefaultValueFactory = _ => "slide",
    };

    public SlideTrainingOptions(Command command)
    {
        _bagBy.AcceptOnlyFromAmong("slide", "patient");
        command.Options.Add(_bagBy);
        _augment.AcceptOnlyFromAmong("none", "hed", "hsv");
        command.Options.Add(_withinAnnotations);
        command.Options.Add(_augment);
        command.Options.Add(_strength);
        command.Options.Add(_copies);
    }

    public TrainSettings Apply(ParseResult r, TrainSettings settings)
    {
        bool augment = r.GetValue(_augment) is not ("none" or null);
        foreach (var option in new Option[] { _strength, _copies })
            if (!augment && r.GetResult(option) is { Implicit: false })
                throw new ArgumentException($"{option.Name} applies with --augment hed or hsv; add one, or drop it.");
        return settings with
        {
            TileWithinAnnotations = r.GetValue(_withinAnnotations),
            BagBy = r.GetValue(_bagBy) == "patient" ? BagUnit.Patient : BagUnit.Slide,
            Augmentation = r.GetValue(_augment) is "none" or null
                ? null
                : Enum.Parse<ColourAugmentationMethod>(r.GetValue(_augment)!, ignoreCase: true),
            AugmentationStrength = r.GetValue(_strength),
            AugmentationCopyCount = r.GetValue(_copies),
        };
    }
}
