using System.Globalization;
using System.Text;
using Amil.MLNet.Application.Jobs;

namespace Amil.MLNet.Application;

/// <summary>The `localize` comparison as a Markdown table, one row per method.</summary>
public static class LocalizationTable
{
    public static readonly string[] Columns =
    [
        "bag accuracy",
        "bag AUC",
        "bag macro-F1",
        "instance AUROC",
        "instance AP",
        "pixel AUROC",
        "best Dice",
        "pointing game",
    ];

    /// <summary>The key of each column's interval in <see cref="Maps.Metrics.LocalizationScores.Intervals"/> (null:
    /// a bag metric, shown without one here).</summary>
    private static readonly string?[] IntervalKeys =
    [
        null,
        null,
        null,
        "instance_auroc",
        "instance_ap",
        "pixel_auroc",
        "best_dice",
        "pointing_game",
    ];

    /// <summary>The values of <see cref="Columns"/> for one row (null where undefined).</summary>
    public static double?[] Values(LocalizeJob.MethodResult m) =>
        [
            m.Bag.Accuracy,
            m.Bag.Auc,
            m.Bag.MacroF1,
            m.Scores.InstanceAuroc,
            m.Scores.InstanceAp,
            m.Scores.PixelAuroc,
            m.Scores.BestDice,
            m.Scores.PointingGame,
        ];

    public static string Markdown(LocalizeJob.Report report)
    {
        var text = new StringBuilder();
        text.AppendLine(
            $"Dataset {report.Dataset}, {report.Split} split: {report.Images} images with masks; maps normalised: "
                + $"{report.Normalization}; every patch of every image ranked together."
        );
        text.AppendLine();
        text.AppendLine($"| method | {string.Join(" | ", Columns)} |");
        text.AppendLine($"|---|{string.Concat(Columns.Select(_ => "---|"))}");
        foreach (var m in report.Methods)
            text.AppendLine($"| {m.Method} | {string.Join(" | ", Values(m).Select((v, c) => Cell(m, c, v)))} |");
        if (report.Methods.FirstOrDefault()?.Scores.Bootstrap is { } b)
            text.AppendLine().AppendLine(b.Describe());
        return text.ToString();
    }

    /// <summary>A value with its interval where the scores have one: "0.963 [0.941, 0.979]".</summary>
    private static string Cell(LocalizeJob.MethodResult m, int column, double? value) =>
        Maps.Metrics.Bootstrap.WithInterval(
            value,
            IntervalKeys[column] is { } key ? m.Scores.Intervals?.GetValueOrDefault(key) : null
        );

    public static string Format(double? value) =>
        value is double v ? v.ToString("F3", CultureInfo.InvariantCulture) : "–";
}
