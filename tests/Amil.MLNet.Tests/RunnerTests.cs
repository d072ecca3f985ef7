using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>The CLI's contract: exit 0 ok, 1 with one clear "error:" line for user mistakes, nothing half-written left
/// behind.</summary>
public class RunnerTests
{
    [Fact]
    public void HelpListsEveryVerb()
    {
        var (exit, stdout, _) = Programs.Amil("--help");
        Assert.Equal(0, exit);
        foreach (var verb in new[] { "train", "evaluate", "predict", "synth", "datasets" })
            Assert.Contains(verb, stdout);
    }

    [Fact]
    public void MissingModelIsAUserErrorNamingTheFile()
    {
        var (exit, _, stderr) = Programs.Amil(
            "predict",
            "--model",
            "/nonexistent/model.zip",
            "--input",
            "x.png",
            "--out",
            Path.GetTempPath()
        );
        Assert.Equal(1, exit);
        Assert.StartsWith("error: /nonexistent/model.zip", stderr);
        Assert.DoesNotContain("   at ", stderr); // no stack trace without --verbose
    }

    [Fact]
    public void BadCropFailsBeforeWritingARunFolder()
    {
        var dir = TestTemp.Folder("amil-cli-").FullName;
        var datasets = Path.Combine(dir, "datasets.json");
        File.WriteAllText(datasets, """{ "datasets": { "d": { "layout": "image-folder", "root": "." } } }""");
        Directory.CreateDirectory(Path.Combine(dir, "a"));
        File.WriteAllBytes(Path.Combine(dir, "a", "x.png"), [1]);
        Directory.CreateDirectory(Path.Combine(dir, "b"));
        File.WriteAllBytes(Path.Combine(dir, "b", "y.png"), [1]);
        var run = Path.Combine(dir, "run");
        var (exit, _, stderr) = Programs.Amil("train", "--datasets", datasets, "--crop", "9x", "--out", run);
        Assert.Equal(1, exit);
        Assert.Contains("9x", stderr);
        Assert.False(Directory.Exists(run));
    }
}

/// <summary>"Same seed, same result" across processes, not just within one (.NET randomises string and HashCode hashing
/// per process).</summary>
public class CrossProcessDeterminismTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public void TwoProcessesWriteTheSameSyntheticImagesAndTrainTheSameModel()
    {
        var work = TestTemp.Folder("amil-xproc-").FullName;
        string[] histories = new string[2];
        for (int i = 0; i < 2; i++)
        {
            var data = Path.Combine(work, $"data{i}");
            var synth = Programs.Amil("synth", "--out", data, "--count", "12", "--seed", "5");
            Assert.True(synth.Exit == 0, synth.Stderr);
            var train = Programs.Amil(
                "train",
                "--data",
                data,
                "--layout",
                "breakhis",
                "--epochs",
                "2",
                "--crop",
                "112x112",
                "--out",
                Path.Combine(work, $"run{i}")
            );
            Assert.True(train.Exit == 0, train.Stderr);
            histories[i] = string.Join(
                '\n',
                File.ReadAllLines(Path.Combine(work, $"run{i}", "history.csv"))
                    .Select(l => string.Join(',', l.Split(',')[..^1]))
            );
        }
        var first = Directory
            .GetFiles(Path.Combine(work, "data0"), "*.png", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(24, first.Count); // 12 images + 12 masks
        foreach (var file in first)
            Assert.Equal(
                File.ReadAllBytes(file),
                File.ReadAllBytes(file.Replace(Path.Combine(work, "data0"), Path.Combine(work, "data1")))
            );
        Assert.Equal(histories[0], histories[1]);
    }
}

/// <summary>Verbs and options beyond train and predict fail the same way: exit 1 and one line naming the
/// problem.</summary>
public class NewVerbErrorTests
{
    [Theory]
    [InlineData("report", "--run", "/nonexistent/run", "no such run folder")]
    [InlineData("features", "--data", "/tmp", "--layout", "image-folder", "--shard", "3/2", "must be K/N")]
    [InlineData("train", "--resume", "/nonexistent/run", "/nonexistent/run")]
    [InlineData("localize", "--out", "/tmp/x", "--model", "/nonexistent/model.zip", "/nonexistent/model.zip")]
    [InlineData("bench", "--images", "2", "--images must be at least 4")]
    [InlineData("train", "--batch-bags", "0", "--batch-bags must be at least 1")]
    [InlineData("bench", "--workers", "0", "--workers must be at least 1")]
    [InlineData("bench", "--soak-slides", "5", "--soak-slides 5: a curve needs at least 20 slides")]
    [InlineData("bench", "--soak-slides", "20", "--soak-slide-size", "9x9", "--soak-slide-size '9x9'")]
    public void UserErrorsExitWithOneClearLine(params string[] argsAndExpected)
    {
        var (exit, _, stderr) = Programs.Amil(argsAndExpected[..^1]);
        Assert.Equal(1, exit);
        Assert.StartsWith("error: ", stderr);
        Assert.Contains(argsAndExpected[^1], stderr);
        Assert.DoesNotContain("   at ", stderr);
    }
}
