using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Stain;

namespace Amil.MLNet.Application;

/// <summary>The stain a training normalises its images or slides to: the file it is given, else the training item
/// whose profile is closest to all others (the medoid: a real image or slide, typical of the set, never one outside
/// it).</summary>
public static class StainReferences
{
    /// <summary>The reference and where it came from; null when no normalisation is asked.</summary>
    /// <param name="slides">Whether the training items are whole slides (measured on their tissue tiles) or
    /// images (measured whole).</param>
    /// <param name="tiling">How the slides are tiled (their stain is measured on tiles of it).</param>
    public static (StainProfile Profile, string Source)? Resolve(
        StainMethod method,
        string? referenceFile,
        IReadOnlyList<string> training,
        bool slides,
        Action<string> log,
        Slides.TilingSettings? tiling = null
    )
    {
        Check(method, referenceFile);
        if (method == StainMethod.None)
            return null;
        if (referenceFile is not null)
            return (SlideStains.Reference(referenceFile, method, tiling), Path.GetFullPath(referenceFile));
        string noun = slides ? "slides" : "images";
        log($"Measuring the stain of {training.Count} training {noun} to choose the {method} reference…");
        var profiles = training
            .Select(p => slides ? SlideStains.Measure(p, method, tiling) : OfImage(p, method))
            .ToList();
        var chosen = StainProfile.Medoid(profiles);
        var item = training[profiles.IndexOf(chosen)];
        log($"Stain reference ({method}): {Path.GetFileName(item)}, the most typical of the training {noun}.");
        return (chosen, $"training {noun[..^1]} {Path.GetFullPath(item)} (medoid of {training.Count})");
    }

    /// <summary>Throws unless the method and the reference file go together: a reference needs a method, and must
    /// exist.</summary>
    public static void Check(StainMethod method, string? referenceFile)
    {
        if (method == StainMethod.None && referenceFile is not null)
            throw new ArgumentException(
                "A stain reference was given without a stain method; choose reinhard or macenko, or leave the "
                    + "reference out."
            );
        if (referenceFile is not null && !File.Exists(referenceFile))
            throw new FileNotFoundException($"{referenceFile}: no such stain reference file.", referenceFile);
    }

    /// <summary>config.json's <c>stain</c> block: method, where the reference came from, its values.</summary>
    public static object? Record((StainProfile Profile, string Source)? stain) =>
        stain is { } s
            ? new
            {
                method = s.Profile.Method.ToString(),
                reference = s.Source,
                values = s.Profile.Values,
            }
            : null;

    private static StainProfile OfImage(string path, StainMethod method)
    {
        try
        {
            return StainProfile.Measure(method, RgbImageReader.Read(path));
        }
        catch (InvalidDataException e)
        {
            throw new ImageReadException(path, $"its stain cannot be measured: {e.Message}");
        }
    }
}
