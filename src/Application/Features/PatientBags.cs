using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Slides;
using Amil.MLNet.Trainers;
using Amil.MLNet.Transforms.Bagging;

namespace Amil.MLNet.Application.Features;

/// <summary>
/// Patient-level bags: every slide of a patient in one bag (<see cref="SlideSets"/>), labelled with the patient's
/// class, for cohorts labelled per patient (TCGA's clinical tables, a patient's nodes). The split stays the dataset's,
/// which keeps a patient's slides on one side; each patient's scores are cut back into its slides' for the maps.
/// </summary>
internal static class PatientBags
{
    /// <summary>The run folder's subfolder holding each patient's slide set.</summary>
    public const string Folder = "patients";

    /// <summary>Each part of <paramref name="split"/> as one item per patient: its slide set written under
    /// <paramref name="runDir"/>/patients/, and its class: <paramref name="patientClass"/> of its slides' classes when
    /// the cohort derives one (CAMELYON17: the pN stage of the nodes), else its slides' common class.</summary>
    /// <exception cref="DatasetException">A slide without a patient, or a patient whose slides disagree.</exception>
    public static DatasetSplit Group(
        DatasetSplit split,
        string runDir,
        Func<IEnumerable<string>, string>? patientClass = null
    )
    {
        var partOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, part) in split.Parts)
        foreach (var patient in part.Select(r => r.Patient).OfType<string>().Distinct())
            if (!partOf.TryAdd(patient, name) && partOf[patient] != name)
                throw new DatasetException(
                    $"Patient {patient} has slides in the {partOf[patient]} and the {name} part of the split; a "
                        + "patient bag takes all of a patient's slides, so keep each patient on one side."
                );
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        return new(
            Part(split.Train, runDir, patientClass, names),
            Part(split.Validation, runDir, patientClass, names),
            Part(split.Test, runDir, patientClass, names)
        );
    }

    /// <summary>How a cohort derives a patient's class from its slides', or null when a patient's slides must share
    /// one: CAMELYON17's nodes give the patient's pN stage.</summary>
    public static Func<IEnumerable<string>, string>? PatientClass(DatasetEntry entry) =>
        entry.Layout == "camelyon17" ? Maps.Metrics.NodeStaging.Stage : null;

    private static List<ImageRecord> Part(
        IReadOnlyList<ImageRecord> slides,
        string runDir,
        Func<IEnumerable<string>, string>? patientClass,
        HashSet<string> names
    )
    {
        if (slides.FirstOrDefault(r => string.IsNullOrEmpty(r.Patient)) is { } alone)
            throw new DatasetException(
                $"{alone.Path}: the dataset gives no patient for this slide; patient bags need every slide's patient "
                    + "(a patient column in the cohort table)."
            );
        return
        [
            .. slides
                .GroupBy(r => r.Patient!)
                .Select(g =>
                {
                    var labels = patientClass is null
                        ? g.Select(r => r.Label).Distinct().ToList()
                        : [patientClass(g.Select(r => r.Label))];
                    if (labels.Count > 1)
                        throw new DatasetException(
                            $"Patient {g.Key}: their slides are labelled {string.Join(", ", labels)}; a patient bag "
                                + "takes one class, so label the cohort per patient, or bag by slide."
                        );
                    var set = Path.Combine(runDir, Folder, FileName(g.Key, names) + SlideSets.Extension);
                    SlideSets.Write(set, g.Select(r => r.Path));
                    return new ImageRecord(set, labels[0], g.Key);
                }),
        ];
    }

    /// <summary>A patient id as a file name not yet taken: characters a file name cannot hold become '_', and ids
    /// that come out alike (or differ only by case) are numbered.</summary>
    private static string FileName(string patient, HashSet<string> names)
    {
        var plain = string.Concat(patient.Select(c => Path.GetInvalidFileNameChars().Contains(c) ? '_' : c));
        var name = plain;
        for (int k = 2; !names.Add(name); k++)
            name = $"{plain}-{k}";
        return name;
    }

    /// <summary>Each scored patient cut back into its slides: the patient's prediction and probabilities, each slide's
    /// own tiles and its part of the map (<paramref name="tilesOf"/> says how many tiles a slide has in the bag, and
    /// their level-0 side). Each slide's record keeps its mask and takes its patient's class.
    /// The slides' records come from <paramref name="slides"/> (with their masks).</summary>
    public static (List<ImageRecord> Slides, List<ScoredImage> Scored) Unfold(
        IReadOnlyList<ImageRecord> patients,
        IReadOnlyList<ScoredImage> scored,
        IReadOnlyList<ImageRecord> slides,
        Func<string, (int Count, int Side)> tilesOf
    )
    {
        var byPath = slides.ToDictionary(r => Path.GetFullPath(r.Path));
        InvalidDataException Mismatch(ImageRecord patient, string what) =>
            new($"{patient.Path}: {what}; the slide set changed since it was scored: train again.");
        var (records, parts) = (new List<ImageRecord>(), new List<ScoredImage>());
        foreach (var (patient, s) in patients.Zip(scored))
        {
            int first = 0;
            foreach (var slide in SlideSets.Read(patient.Path))
            {
                var (n, side) = tilesOf(slide);
                if (first + n > s.Map.Length)
                    throw new InvalidOperationException(
                        $"{patient.Path}: its slides have more tiles than its bag ({s.Map.Length}); encode them again."
                    );
                // The slide as the patient's item: its mask, and the patient's class (the model's classes).
                records.Add(byPath[slide] with { Label = patient.Label });
                parts.Add(Slice(s, slide, first, n, side));
                first += n;
            }
            if (first != s.Map.Length)
                throw Mismatch(patient, $"its slides have {first} tiles, its bag {s.Map.Length}");
        }
        return (records, parts);
    }

    private static ScoredImage Slice(ScoredImage s, string slide, int first, int n, int side)
    {
        float[]? classMaps = s.ClassMaps is { } maps
            ?
            [
                .. Enumerable
                    .Range(0, maps.Length / s.Map.Length)
                    .SelectMany(c => maps.AsSpan(c * s.Map.Length + first, n).ToArray()),
            ]
            : null;
        return new ScoredImage(
            slide,
            s.PredictedIndex,
            s.Probabilities,
            s.Map[first..(first + n)],
            s.Coordinates[(2 * first)..(2 * (first + n))],
            new BagLayout(3, side, side, 1, n, 0, 0, side * n, side),
            s.MapKind
        )
        {
            ClassMaps = classMaps,
        };
    }
}
