using Amil.MLNet.Transforms;

namespace Amil.MLNet.Data.Datasets;

/// <summary>Train / validation / test parts of a dataset. Validation may be empty (the trainer then holds out its
/// own).</summary>
public sealed record DatasetSplit(
    IReadOnlyList<ImageRecord> Train,
    IReadOnlyList<ImageRecord> Validation,
    IReadOnlyList<ImageRecord> Test
)
{
    /// <summary>The parts' names in files and messages, in order.</summary>
    public static readonly IReadOnlyList<string> PartNames = ["train", "validation", "test"];

    /// <summary>Each part with its name (<see cref="PartNames"/>), in order.</summary>
    public IEnumerable<(string Name, IReadOnlyList<ImageRecord> Records)> Parts =>
        PartNames.Zip([Train, Validation, Test]);

    /// <summary>The split a dataset entry defines (its fractions and seed); train, evaluate and check all call this,
    /// so they agree on which images are test images.</summary>
    public static DatasetSplit For(IReadOnlyList<ImageRecord> records, DatasetEntry entry) =>
        Create(records, entry.Split.TestFraction, entry.Split.ValidationFraction, entry.Split.Seed);

    /// <summary>Splits by patient when patients are known (no patient on two sides), stratified by class and seeded:
    /// first the test part, then the validation part out of the rest. A predefined split (train/val/test folders) is
    /// kept; when it has no val part, one is held out of train the same way.</summary>
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

    /// <summary>Holds out about <paramref name="fraction"/> of the records, whole patients at a time, stratified by
    /// class.</summary>
    internal static (List<ImageRecord> Kept, List<ImageRecord> Held) HoldOut(
        IReadOnlyList<ImageRecord> records,
        double fraction,
        Random random
    )
    {
        // Units are patients (or single images), in path order, stratified by each unit's most common class.
        var units = records
            .GroupBy(r => r.Patient ?? r.Path)
            .Select(g => g.ToList())
            .OrderBy(u => u[0].Path, StringComparer.Ordinal)
            .ToList();
        var (keptUnits, heldUnits) = StratifiedHoldOut.Choose(
            units,
            u => StratifiedHoldOut.MostCommon(u.Select(r => r.Label), StringComparer.Ordinal),
            StringComparer.Ordinal,
            fraction,
            random
        );
        return ([.. keptUnits.SelectMany(i => units[i])], [.. heldUnits.SelectMany(i => units[i])]);
    }
}
