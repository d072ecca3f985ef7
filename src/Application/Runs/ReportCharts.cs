using ScottPlot;

namespace Amil.MLNet.Application.Runs;

/// <summary>The report's charts, drawn with ScottPlot and returned as PNG bytes.</summary>
public static class ReportCharts
{
    private const int Width = 560,
        Height = 340;

    public static byte[] Curves(
        string title,
        string yLabel,
        IReadOnlyList<(string Name, double[] X, double[] Y)> series
    )
    {
        var plot = new Plot();
        foreach (var (name, x, y) in series)
        {
            if (x.Length == 0)
                continue;
            var line = plot.Add.Scatter(x, y);
            line.LegendText = name;
        }
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    public static byte[] Roc(IReadOnlyList<(string Name, double[] Fpr, double[] Tpr)> curves)
    {
        var plot = new Plot();
        AddDiagonal(plot);
        foreach (var (name, fpr, tpr) in curves)
        {
            var line = plot.Add.Scatter(fpr, tpr);
            line.MarkerSize = 0;
            line.LegendText = name;
        }
        plot.Title("ROC (test split)");
        plot.XLabel("false-positive rate");
        plot.YLabel("true-positive rate");
        plot.Axes.SetLimits(-0.02, 1.02, -0.02, 1.02);
        plot.ShowLegend(Alignment.LowerRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>Accuracy of the predictions kept against the share kept, most certain first: what abstaining on the
    /// uncertain ones buys.</summary>
    public static byte[] Coverage(IReadOnlyList<Maps.Metrics.CoveragePoint> points)
    {
        var plot = new Plot();
        var line = plot.Add.Scatter(points.Select(p => p.Coverage).ToArray(), points.Select(p => p.Accuracy).ToArray());
        line.MarkerSize = 6;
        plot.Title("Accuracy against coverage (test split)");
        plot.XLabel("share kept, most certain first");
        plot.YLabel("accuracy of those kept");
        plot.Axes.SetLimits(0, 1.02, Math.Min(0.5, points.Min(p => p.Accuracy)) - 0.02, 1.02);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>Reliability diagram: accuracy against mean confidence per bin, one series per set of probabilities
    /// (e.g. before and after temperature scaling); on the diagonal is calibrated.</summary>
    public static byte[] Reliability(IReadOnlyList<(string Name, IReadOnlyList<Maps.Metrics.ReliabilityBin> Bins)> sets)
    {
        var plot = new Plot();
        AddDiagonal(plot);
        foreach (var (name, bins) in sets)
        {
            var line = plot.Add.Scatter(
                bins.Select(b => b.Confidence).ToArray(),
                bins.Select(b => b.Accuracy).ToArray()
            );
            line.MarkerSize = 7;
            line.LegendText = name;
        }
        plot.Title("Reliability (test split, top class)");
        plot.XLabel("confidence");
        plot.YLabel("accuracy");
        plot.Axes.SetLimits(-0.02, 1.02, -0.02, 1.02);
        plot.ShowLegend(Alignment.UpperLeft);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>The dashed grey y = x: chance for a ROC curve, perfect calibration for a reliability diagram.</summary>
    private static void AddDiagonal(Plot plot)
    {
        var line = plot.Add.Line(0, 0, 1, 1);
        line.LinePattern = LinePattern.Dashed;
        line.Color = Colors.Gray;
    }
}
