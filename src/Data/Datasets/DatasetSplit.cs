namespace Amil.MLNet.Data.Datasets;

/// <summary>Train / validation / test parts of a dataset. Validation may be empty (the trainer then holds out its
/// own).</summary>
public sealed record DatasetSplit(
    IReadOnlyList<ImageRecord> Train,
    IReadOnlyList<ImageRecord> Validation,
    IReadOnlyList<ImageRecord> Test
)
{
    /// <summary>The split a dataset entry defines (its fractions and seed); train, evaluate and check all call this,
    /// so they agree on which images are test images.</summary>
    public static DatasetSplit For(IReadOnlyList<ImageRecord> records, DatasetEntry entry) =>
        Create(records, entry.Split.TestFraction, entry.Split.ValidationFraction, entry.Split.Seed);

    /// <summary>Splits by patient when patients are known (no patient on two sides), stratified by class and seeded:
    /// first the test part, then the validation part out of the rest. A predefined split (train/val/test folders) is
    /// kept;
    /// when it has no val part, one is held out of train the same way.</summary>
    public static DatasetSplit Create(
        IReadOnlyList<ImageRecord> records,
        double testFraction,
        double validationFraction,
        int seed
    )
    {
        var random = new Random(seed);
        if (records.Any(r => r.Split is not null))
        {
            var predefinedTrain = records.Where(r => r.Split == "train").ToList();
            var predefinedVal = records.Where(r => r.Split == "val").ToList();
            var predefinedTest = records.Where(r => r.Split == "test").ToList();
            if (predefinedVal.Count == 0)
                (predefinedTrain, predefinedVal) = HoldOut(predefinedTrain, validationFraction, random);
            return new DatasetSplit(predefinedTrain, predefinedVal, predefinedTest);
        }
        var (rest, test) = HoldOut(records, testFraction, random);
        var (train, validation) = HoldOut(rest, validationFraction, random);
        return new DatasetSplit(train, validation, test);
    }

    private static (List<ImageRecord> Kept, List<ImageRecord> Held) HoldOut(
        IReadOnlyList<ImageRecord> records,
        double fraction,
        Random random
    )
    {
        var kept = new List<ImageRecord>();
        var held = new List<ImageRecord>();
        // Units are patients (or single images), stratified by each unit's most common class.
        var units = records
            .GroupBy(r => r.Patient ?? r.Path)
            .Select(g => g.ToList())
            .GroupBy(u =>
                u.GroupBy(r => r.Label)
                    .OrderByDescending(c => c.Count())
                    .ThenBy(c => c.Key, StringComparer.Ordinal)
                    .First()
                    .Key
            )
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var byClass in units)
        {
            var shuffled = byClass.OrderBy(u => u[0].Path, StringComparer.Ordinal).ToArray();
            random.Shuffle(shuffled);
            int take = (int)Math.Round(shuffled.Length * fraction);
            if (fraction > 0 && take == 0 && shuffled.Length >= 2)
                take = 1; // every class on both sides when possible
            if (take >= shuffled.Length && shuffled.Length > 1)
                take = shuffled.Length - 1;
            for (int i = 0; i < shuffled.Length; i++)
                (i < take ? held : kept).AddRange(shuffled[i]);
        }
        return (kept, held);
    }
}
