namespace Amil.MLNet.Data.Datasets;

/// <summary>Train / validation / test parts of a dataset. Validation may be empty (the trainer then holds out its own).</summary>
public sealed record DatasetSplit(IReadOnlyList<ImageRecord> Train, IReadOnlyList<ImageRecord> Validation, IReadOnlyList<ImageRecord> Test)
{
    /// <summary>Splits by patient when patients are known (no patient on both sides), stratified by class and seeded;
    /// a predefined split (train/val/test folders) is kept as it is.</summary>
    public static DatasetSplit Create(IReadOnlyList<ImageRecord> records, double testFraction, int seed)
    {
        if (records.Any(r => r.Split is not null))
            return new DatasetSplit(records.Where(r => r.Split == "train").ToList(), records.Where(r => r.Split == "val").ToList(),
                                    records.Where(r => r.Split == "test").ToList());
        var random = new Random(seed);
        var test = new List<ImageRecord>();
        var train = new List<ImageRecord>();
        // Units are patients (or single images), stratified by each unit's most common class.
        var units = records.GroupBy(r => r.Patient ?? r.Path).Select(g => g.ToList())
                           .GroupBy(u => u.GroupBy(r => r.Label).OrderByDescending(c => c.Count()).ThenBy(c => c.Key, StringComparer.Ordinal).First().Key)
                           .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var byClass in units)
        {
            var shuffled = byClass.OrderBy(u => u[0].Path, StringComparer.Ordinal).ToList();
            random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(shuffled));
            int take = (int)Math.Round(shuffled.Count * testFraction);
            if (testFraction > 0 && take == 0 && shuffled.Count >= 2) take = 1;
            if (take >= shuffled.Count && shuffled.Count > 1) take = shuffled.Count - 1;
            for (int i = 0; i < shuffled.Count; i++) (i < take ? test : train).AddRange(shuffled[i]);
        }
        return new DatasetSplit(train, [], test);
    }
}
