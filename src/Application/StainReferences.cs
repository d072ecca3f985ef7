using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Stain;

namespace Amil.MLNet.Application;

/// <summary>The stain a training normalises its slides to: the file it is given, else the training slide whose
/// profile is closest to all others (the medoid: a real slide, typical of the set, never one outside it).</summary>
public static class StainReferences
{
    /// <summary>The reference and where it came from; null when no normalisation is asked.</summary>
    public static (StainProfile Profile, string Source)? Resolve(
        StainMethod method,
        string? referenceFile,
        IReadOnlyList<string> trainingSlides,
        Action<string> log
    )
    {
        if (method == StainMethod.None)
        {
            if (referenceFile is not null)
                throw new ArgumentException(
                    "A stain reference was given without a stain method; choose reinhard or "
                        + "macenko, or leave the reference out."
                );
            return null;
        }
        if (referenceFile is not null)
        {
            if (!File.Exists(referenceFile))
                throw new FileNotFoundException($"{referenceFile}: no such stain reference file.", referenceFile);
            return (SlideStains.Reference(referenceFile, method), Path.GetFullPath(referenceFile));
        }
        log($"Measuring the stain of {trainingSlides.Count} training slides to choose the {method} reference…");
        var profiles = trainingSlides.Select(s => SlideStains.Measure(s, method)).ToList();
        var chosen = StainProfile.Medoid(profiles);
        var slide = trainingSlides[profiles.IndexOf(chosen)];
        log($"Stain reference ({method}): {Path.GetFileName(slide)}, the most typical of the training slides.");
        return (chosen, $"training slide {Path.GetFullPath(slide)} (medoid of {trainingSlides.Count})");
    }
}
