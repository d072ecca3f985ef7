using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>The CLI's contract: exit 0 ok, 1 with one clear "error:" line for user mistakes, nothing half-written left behind.</summary>
public class RunnerTests
{
    private static (int Exit, string Stdout, string Stderr) Amil(params string[] args) =>
        AttentionMilModelTests.RunBuilt(Path.Combine("src", "Runner"), "amil.dll", args);

    [Fact]
    public void HelpListsEveryVerb()
    {
        var (exit, stdout, _) = Amil("--help");
        Assert.Equal(0, exit);
        foreach (var verb in new[] { "train", "evaluate", "predict", "synth", "datasets" }) Assert.Contains(verb, stdout);
    }

    [Fact]
    public void MissingModelIsAUserErrorNamingTheFile()
    {
        var (exit, _, stderr) = Amil("predict", "--model", "/nonexistent/model.zip", "--input", "x.png", "--out", Path.GetTempPath());
        Assert.Equal(1, exit);
        Assert.StartsWith("error: /nonexistent/model.zip", stderr);
        Assert.DoesNotContain("   at ", stderr);   // no stack trace without --verbose
    }

    [Fact]
    public void BadCropFailsBeforeWritingARunFolder()
    {
        var dir = Directory.CreateTempSubdirectory("amil-cli-").FullName;
        var datasets = Path.Combine(dir, "datasets.json");
        File.WriteAllText(datasets, """{ "datasets": { "d": { "layout": "image-folder", "root": "." } } }""");
        Directory.CreateDirectory(Path.Combine(dir, "a"));
        File.WriteAllBytes(Path.Combine(dir, "a", "x.png"), [1]);
        Directory.CreateDirectory(Path.Combine(dir, "b"));
        File.WriteAllBytes(Path.Combine(dir, "b", "y.png"), [1]);
        var run = Path.Combine(dir, "run");
        var (exit, _, stderr) = Amil("train", "--datasets", datasets, "--crop", "9x", "--out", run);
        Assert.Equal(1, exit);
        Assert.Contains("9x", stderr);
        Assert.False(Directory.Exists(run));
    }
}
