using Amil.MLNet.Application.Jobs;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>The soak run's verdict: memory growth and speed drop after warm-up, measured on constructed
/// curves.</summary>
public class SoakCurveTests
{
    private static List<SoakJob.Sample> Curve(int count, Func<int, double> rss, Func<int, double> secondsPerSlide)
    {
        var samples = new List<SoakJob.Sample>();
        double seconds = 0;
        for (int i = 1; i <= count; i++)
        {
            seconds += secondsPerSlide(i);
            samples.Add(new SoakJob.Sample(i, seconds, rss(i)));
        }
        return samples;
    }

    [Fact]
    public void AFlatCurveAfterAHeavyWarmUpIsWithinTheBars()
    {
        // The first slides load the network and grow memory a lot; that is warm-up, not a leak.
        var step = SoakJob.Curve("flat", Curve(1000, i => i <= 50 ? 200 + 10 * i : 700 + i % 7, _ => 0.5));
        Assert.Equal(100, step.WarmUpSlides);
        Assert.InRange(step.RssGrowth, 0, 0.01);
        Assert.Equal(120, step.EarlySpeed, 1);
        Assert.Equal(120, step.LateSpeed, 1);
        Assert.Equal(0, step.SpeedDrop, 3);
        Assert.True(step.WithinBars);
    }

    [Fact]
    public void MemoryThatKeepsGrowingFailsTheBar()
    {
        // 1 MB per slide: the tenth after warm-up has a median of 650.5 MB, the last tenth 1450.5 MB.
        var step = SoakJob.Curve("leak", Curve(1000, i => 500 + i, _ => 0.5));
        Assert.Equal(1450.5 / 650.5 - 1, step.RssGrowth, 3);
        Assert.Equal(1000, step.RssTrend, 1);
        Assert.False(step.WithinBars);
    }

    [Fact]
    public void TheCollectorsSawtoothIsNotGrowth()
    {
        // Memory climbs 90 MB and is collected every 150 slides: the peak is 23 % above the low, the trend flat.
        var step = SoakJob.Curve("sawtooth", Curve(1000, i => 390 + 90.0 * (i % 150) / 150, _ => 0.2));
        Assert.True(step.RssPeak > 1.2 * 390);
        Assert.InRange(step.RssGrowth, -0.1, 0.1);
        Assert.InRange(step.RssTrend, -15, 15);
        Assert.True(step.WithinBars);
    }

    [Fact]
    public void ASlowingRunFailsTheBarAndTheDropIsMeasured()
    {
        // Each slide takes 0.1 % longer than the one before: the last tenth runs at about half the early speed.
        var step = SoakJob.Curve("slowing", Curve(1000, _ => 700, i => 0.5 * (1 + 0.001 * i)));
        Assert.InRange(step.SpeedDrop, 0.40, 0.50);
        Assert.True(step.EarlySpeed > step.LateSpeed);
        Assert.False(step.WithinBars);
    }
}
