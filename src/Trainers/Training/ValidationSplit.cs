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
        // Each unit (a group, or a single row), in row order, is stratified by its most common class.
        var units = rows.GroupBy(r => r.Group ?? "\0row" + r.RowId.ToString())
            .Select(g => g.ToList())
            .OrderBy(u => u[0].RowId.High)
            .ThenBy(u => u[0].RowId.Low)
            .ToList();
        var (_, chosen) = Transforms.StratifiedHoldOut.Choose(
            units,
            u => Transforms.StratifiedHoldOut.MostCommon(u.Select(r => r.ClassIndex), Comparer<int>.Default),
            Comparer<int>.Default,
            fraction,
            new Random(seed)
        );
        foreach (int i in chosen)
        foreach (var row in units[i])
            held.Add(row.RowId);
        return held;
    }
}
