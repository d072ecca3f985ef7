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
        var chance = plot.Add.Line(0, 0, 1, 1);
        chance.LinePattern = LinePattern.Dashed;
        chance.Color = Colors.Gray;
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
}
