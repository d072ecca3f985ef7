namespace Amil.MLNet.Data.Datasets;

/// <summary>How each class spreads over a split's parts, and warnings for classes too small to reach every
/// part.</summary>
public static class SplitCoverage
{
    /// <summary>Images per class in each part: class → (train, validation, test).</summary>
    public static IReadOnlyList<(string Class, int Train, int Validation, int Test)> Counts(
        DatasetSplit split,
        IEnumerable<string> classes
    ) =>
        classes
            .Select(c =>
                (
                    c,
                    split.Train.Count(r => r.Label == c),
                    split.Validation.Count(r => r.Label == c),
                    split.Test.Count(r => r.Label == c)
                )
            )
            .ToList();

    /// <summary>One line per class that is missing from a non-empty validation or test part, with the fix.</summary>
    public static IReadOnlyList<string> Warnings(DatasetSplit split, IEnumerable<string> classes)
    {
        var all = split.Train.Concat(split.Validation).Concat(split.Test).ToList();
        var warnings = new List<string>();
        foreach (var (name, train, validation, test) in Counts(split, classes))
        {
            var missing = new List<string>();
            if (train == 0)
                missing.Add("train");
            if (validation == 0 && split.Validation.Count > 0)
                missing.Add("validation");
            if (test == 0 && split.Test.Count > 0)
                missing.Add("test");
            if (missing.Count == 0)
                continue;
            var images = all.Where(r => r.Label == name).ToList();
            int patients = images.Select(r => r.Patient).Where(p => p is not null).Distinct().Count();
            string units =
                patients > 0 ? $"{images.Count} image(s) of {patients} patient(s)" : $"{images.Count} image(s)";
            warnings.Add(
                $"warning: class '{name}' has {units}, too few to appear in every part of the split: none in "
                    + $"{string.Join(" or ", missing)}, so its metrics there are missing and macro averages are "
                    + "skewed. "
                    + "Add images of that class, or lower split.test_fraction / validation_fraction in datasets.json."
            );
        }
        return warnings;
    }
}
