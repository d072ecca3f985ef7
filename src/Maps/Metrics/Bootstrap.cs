using System.Text.Json.Serialization;

namespace Amil.MLNet.Maps.Metrics;

/// <summary>A confidence interval: the bootstrap's percentiles around a metric.</summary>
public sealed record Interval(double Low, double High);

/// <summary>How a bootstrap drew its resamples: how many, from which seed, at which coverage, by what ("patient",
/// "item", "image" or "slide") and from how many groups.</summary>
public sealed record BootstrapSettings(
    [property: JsonPropertyName("resamples")] int Resamples,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("level")] double Level,
    [property: JsonPropertyName("by")] string By,
    [property: JsonPropertyName("groups")] int Groups
)
{
    /// <summary>The line under a table of intervals: "Intervals: 95 %, percentile bootstrap of 1000 resamples of
    /// whole slides (40), seed 1."</summary>
    public string Describe() =>
        FormattableString.Invariant($"Intervals: {Level:P0}, percentile bootstrap of {Resamples} resamples of whole ")
        + FormattableString.Invariant($"{By}s ({Groups}), seed {Seed}.");
}

/// <summary>
/// Percentile bootstrap that resamples whole groups: patients, so that one patient's images (or slides) are drawn or
/// left out together and correlated items do not narrow the interval; an item whose group is unknown is its own
/// group. The resamples are drawn from the seed, so every metric given to one bootstrap sees the same resamples, and
/// the same seed gives the same intervals on every machine.
/// </summary>
public sealed class Bootstrap
{
    /// <summary>Resamples when none are given: enough for the 2.5th and 97.5th percentiles to settle.</summary>
    public const int DefaultResamples = 1000;

    private readonly int[][] _groups;

    /// <param name="groups">The group of each item (null: unknown, the item alone).</param>
    /// <param name="level">Coverage of the interval, e.g. 0.95.</param>
    public Bootstrap(IReadOnlyList<string?> groups, int resamples = DefaultResamples, int seed = 1, double level = 0.95)
    {
        if (groups.Count == 0)
            throw new ArgumentException("A bootstrap needs at least one item.", nameof(groups));
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 10);
        if (!(level > 0 && level < 1))
            throw new ArgumentOutOfRangeException(nameof(level), level, "The level is a share between 0 and 1.");
        (Resamples, Seed, Level) = (resamples, seed, level);
        int single = 0;
        _groups =
        [
            .. Enumerable
                .Range(0, groups.Count)
                .GroupBy(i => groups[i] ?? $"\0{single++}", StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => g.ToArray()),
        ];
        ByGroup = _groups.Length < groups.Count;
    }

    public int Resamples { get; }

    public int Seed { get; }

    public double Level { get; }

    /// <summary>The groups drawn from (patients, or items where none is known).</summary>
    public int Groups => _groups.Length;

    /// <summary>Whether any group holds more than one item (else this is the plain item bootstrap).</summary>
    public bool ByGroup { get; }

    /// <summary>The interval of each metric that <paramref name="metrics"/> computes from a resample's items (indices
    /// into the items, a group's items repeated as often as the group is drawn); null for a metric that is undefined
    /// (null or not finite) in more than half the resamples.</summary>
    public Interval?[] Of(Func<IReadOnlyList<int>, double?[]> metrics)
    {
        var random = new Random(Seed);
        var values = new List<double>[0];
        var items = new List<int>();
        for (int b = 0; b < Resamples; b++)
        {
            items.Clear();
            for (int g = 0; g < _groups.Length; g++)
                items.AddRange(_groups[random.Next(_groups.Length)]);
            var result = metrics(items);
            if (b == 0)
                values = [.. result.Select(_ => new List<double>(Resamples))];
            for (int m = 0; m < result.Length; m++)
                if (result[m] is { } v && double.IsFinite(v))
                    values[m].Add(v);
        }
        return [.. values.Select(Percentiles)];
    }

    /// <summary>How this bootstrap drew, as saved beside its intervals: by patient, or by
    /// <paramref name="unit"/> ("item", "image", "slide") where no item shares a group.</summary>
    public BootstrapSettings Settings(string unit) => new(Resamples, Seed, Level, ByGroup ? "patient" : unit, Groups);

    /// <summary>The intervals by metric name, [low, high] at 4 decimals rounded outwards (low down, high up, so an
    /// interval that holds its figure still does once rounded), for each metric whose point estimate and interval are
    /// both defined.</summary>
    public static Dictionary<string, double[]> Named(
        IReadOnlyList<string> names,
        IReadOnlyList<double?> point,
        IReadOnlyList<Interval?> intervals
    )
    {
        var named = new Dictionary<string, double[]>();
        for (int m = 0; m < names.Count; m++)
            if (point[m] is not null && intervals[m] is { } i)
                named[names[m]] = [Outward(i.Low, -1), Outward(i.High, +1)];
        return named;
    }

    /// <summary>Rounded to 4 decimals, then moved one step in <paramref name="direction"/> if rounding crossed the
    /// value.</summary>
    private static double Outward(double value, int direction)
    {
        double rounded = Math.Round(value, 4);
        return (rounded - value) * direction < 0 ? Math.Round(rounded + direction * 1e-4, 4) : rounded;
    }

    /// <summary>A figure with its interval as "0.963 [0.941, 0.979]" (3 decimals), the figure alone without one, or
    /// "–" when it is undefined.</summary>
    public static string WithInterval(double? value, double[]? interval) =>
        value is not { } v ? "–"
        : interval is [var low, var high] ? FormattableString.Invariant($"{v:F3} [{low:F3}, {high:F3}]")
        : FormattableString.Invariant($"{v:F3}");

    /// <summary>The interval of one metric.</summary>
    public Interval? Of(Func<IReadOnlyList<int>, double?> metric) => Of(items => [metric(items)])[0];

    private Interval? Percentiles(List<double> values)
    {
        if (values.Count * 2 < Resamples)
            return null;
        values.Sort();
        double tail = (1 - Level) / 2;
        return new Interval(Quantile(values, tail), Quantile(values, 1 - tail));
    }

    /// <summary>Linear interpolation between the closest ranks (type 7, R's and NumPy's default).</summary>
    private static double Quantile(List<double> sorted, double q)
    {
        double position = q * (sorted.Count - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
