namespace Amil.MLNet.Transforms;

/// <summary>
/// Holds out a seeded share of units (patients, groups, or single images) within each class, keeping every class on
/// both sides when it has two units or more. The dataset split (test, validation) and the trainer's own validation
/// split both draw this way.
/// </summary>
public static class StratifiedHoldOut
{
    /// <param name="units">Units in a stable order (the draw depends on it, not on how the caller found them).</param>
    /// <param name="classOf">A unit's class (its most common label).</param>
    /// <param name="classOrder">The order in which classes draw from <paramref name="random"/>.</param>
    /// <returns>Indices into <paramref name="units"/> of the kept and the held-out units, each class after the other
    /// in <paramref name="classOrder"/>, in drawn order within a class.</returns>
    public static (List<int> Kept, List<int> Held) Choose<TUnit, TClass>(
        IReadOnlyList<TUnit> units,
        Func<TUnit, TClass> classOf,
        IComparer<TClass> classOrder,
        double fraction,
        Random random
    )
    {
        var (kept, held) = (new List<int>(), new List<int>());
        foreach (
            var byClass in Enumerable
                .Range(0, units.Count)
                .GroupBy(i => classOf(units[i]))
                .OrderBy(g => g.Key, classOrder)
        )
        {
            var shuffled = byClass.ToArray();
            random.Shuffle(shuffled);
            int take = (int)Math.Round(shuffled.Length * fraction);
            if (fraction > 0 && take == 0 && shuffled.Length >= 2)
                take = 1; // every class on both sides when possible
            if (take >= shuffled.Length && shuffled.Length > 1)
                take = shuffled.Length - 1;
            for (int i = 0; i < shuffled.Length; i++)
                (i < take ? held : kept).Add(shuffled[i]);
        }
        return (kept, held);
    }

    /// <summary>The most common of <paramref name="labels"/>, ties broken by <paramref name="order"/>.</summary>
    public static T MostCommon<T>(IEnumerable<T> labels, IComparer<T> order) =>
        labels.GroupBy(l => l).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, order).First().Key;
}
