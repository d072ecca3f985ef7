using Amil.MLNet.Transforms;

namespace Amil.MLNet.Data.Datasets;

/// <summary>
/// k-fold cross-validation splits, grouped by patient (a patient's images are in one fold) and stratified by class
/// (each patient counted under its most common class, dealt round-robin to the folds in a seeded order). Without a
/// held-out test set fold i is the test part of split i, and every item is tested exactly once; with one, the
/// held-out part is every split's test part and fold i is split i's validation part.
/// </summary>
public static class DatasetFolds
{
    /// <summary>The k splits of <paramref name="records"/>.</summary>
    /// <param name="validationFraction">Without a held-out test set: the share of each split's training part held out
    /// for validation (whole patients), as the dataset's split does.</param>
    /// <param name="heldOutTestFraction">0: no held-out test set; otherwise its share, held out first.</param>
    public static IReadOnlyList<DatasetSplit> Create(
        IReadOnlyList<ImageRecord> records,
        int folds,
        double validationFraction,
        double heldOutTestFraction,
        int seed
    )
    {
        if (folds < 2)
            throw new ArgumentException($"Cross-validation needs at least 2 folds (got {folds}).");
        if (heldOutTestFraction is < 0 or >= 1)
            throw new ArgumentException($"The held-out test share must be 0 to under 1 (got {heldOutTestFraction}).");
        var random = new Random(seed);
        var (pool, heldOut) =
            heldOutTestFraction > 0
                ? DatasetSplit.HoldOut(records, heldOutTestFraction, random)
                : ([.. records], new List<ImageRecord>());
        var units = Units(pool);
        if (units.Count < folds)
            throw new DatasetException(
                $"{units.Count} patient(s) (or images where no patient is known) cannot fill {folds} folds; use at "
                    + $"most {units.Count} folds."
            );
        var assigned = Deal(units, folds, random);
        var splits = new List<DatasetSplit>();
        for (int f = 0; f < folds; f++)
        {
            var fold = units.Where((_, u) => assigned[u] == f).SelectMany(u => u).ToList();
            var others = units.Where((_, u) => assigned[u] != f).SelectMany(u => u).ToList();
            if (heldOutTestFraction > 0)
                splits.Add(new DatasetSplit(others, fold, heldOut));
            else
            {
                var (train, validation) = DatasetSplit.HoldOut(others, validationFraction, random);
                splits.Add(new DatasetSplit(train, validation, fold));
            }
        }
        return splits;
    }

    /// <summary>Patients (or single images), in path order.</summary>
    private static List<List<ImageRecord>> Units(IReadOnlyList<ImageRecord> records) =>
        records
            .GroupBy(r => r.Patient ?? r.Path)
            .Select(g => g.ToList())
            .OrderBy(u => u[0].Path, StringComparer.Ordinal)
            .ToList();

    /// <summary>Each unit's fold: the units of each class in a seeded order, dealt round-robin, the deal carried on
    /// from class to class so the folds' sizes differ by at most one unit.</summary>
    private static int[] Deal(List<List<ImageRecord>> units, int folds, Random random)
    {
        var assigned = new int[units.Count];
        int next = 0;
        var byClass = Enumerable
            .Range(0, units.Count)
            .GroupBy(u => StratifiedHoldOut.MostCommon(units[u].Select(r => r.Label), StringComparer.Ordinal))
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var group in byClass)
        {
            var order = group.ToArray();
            random.Shuffle(order);
            foreach (int u in order)
                assigned[u] = next++ % folds;
        }
        return assigned;
    }
}
