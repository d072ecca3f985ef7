using Microsoft.ML.Data;

namespace Amil.MLNet.Trainers.Training;

/// <summary>Holds out a seeded, class-stratified share of the training rows (whole groups when groups are
/// given).</summary>
internal static class ValidationSplit
{
    public static HashSet<DataViewRowId> Choose(IReadOnlyList<RowInfo> rows, double fraction, int seed)
    {
        var held = new HashSet<DataViewRowId>();
        if (fraction <= 0 || rows.Count == 0)
            return held;
        var random = new Random(seed);
        // Each unit (a group, or a single row) is stratified by its most common class.
        var units = rows.GroupBy(r => r.Group ?? "\0row" + r.RowId.ToString())
            .Select(g =>
                (
                    Rows: g.ToList(),
                    Class: g.GroupBy(r => r.ClassIndex).OrderByDescending(c => c.Count()).ThenBy(c => c.Key).First().Key
                )
            )
            .OrderBy(u => u.Rows[0].RowId.High)
            .ThenBy(u => u.Rows[0].RowId.Low)
            .ToList();
        foreach (var byClass in units.GroupBy(u => u.Class).OrderBy(g => g.Key))
        {
            var shuffled = byClass.OrderBy(_ => random.Next()).ToList();
            int take = (int)Math.Round(shuffled.Count * fraction);
            if (take == 0 && shuffled.Count >= 2)
                take = 1; // every class seen in validation when possible
            if (take >= shuffled.Count)
                take = shuffled.Count - 1; // and in training
            foreach (var unit in shuffled.Take(take))
            foreach (var row in unit.Rows)
                held.Add(row.RowId);
        }
        return held;
    }
}
