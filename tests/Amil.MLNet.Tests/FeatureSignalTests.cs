using Amil.MLNet.Data.Synthetic;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>SIGTERM to `features` on slides (Slurm preemption, a time limit): it stops within the slide in progress,
/// exits 143, leaves only whole cache entries, and a rerun encodes just the slides that were missing.</summary>
public sealed class FeatureSignalTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void FeaturesStopOnSigtermLeavingOnlyWholeEntriesAndARerunFinishes()
    {
        var root = TestTemp.Folder("amil-features-signal-").FullName;
        SyntheticSlides.Generate(root, new SyntheticSlideOptions(8, 3) { Width = 2048, Height = 1536 });
        var cache = Path.Combine(TestTemp.Folder("amil-features-signal-cache-").FullName, "cache");
        string[] args = ["features", "--data", root, "--layout", "wsi", "--out", cache];

        int exit;
        string text;
        using (var features = RunningProgram.Amil(args))
        {
            features.WaitForLine("8 slides", Minute);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (Entries(cache).Count == 0 && clock.Elapsed < Minute)
                Thread.Sleep(20);
            features.Signal(RunningProgram.SigTerm);
            exit = features.WaitForExit(Minute);
            text = features.Output;
        }

        Skip.If(exit == 0, "every slide was encoded before the signal arrived");
        Assert.True(exit == 143, text);
        Assert.Contains("Interrupted.", text);
        var files = Directory.GetFiles(cache, "*", SearchOption.AllDirectories);
        Assert.All(files, f => Assert.EndsWith(".feat", f)); // nothing half-written beside the entries
        int kept = files.Length;
        Assert.InRange(kept, 1, 7);

        var rerun = Programs.Amil(args);
        Assert.True(rerun.Exit == 0, rerun.Stderr);
        Assert.Equal(8, Entries(cache).Count);
        // The entries the stopped run left were read back whole: only the missing slides were encoded.
        Assert.True(rerun.Stdout.Contains($"{kept} already cached, {8 - kept} computed"), rerun.Stdout);
    }

    private static List<string> Entries(string cache) =>
        Directory.Exists(cache) ? [.. Directory.EnumerateFiles(cache, "*.feat", SearchOption.AllDirectories)] : [];
}
