using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Amil.MLNet.Data.Synthetic;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>A cohort on a real Slurm: docs/cluster/cohort.sh submits the docs' own scripts to a single-node cluster
/// (slurm-wlm, munge) started by the test: a features array of 3 tasks on one shared cache, then train, then a sharded
/// evaluate and a sharded predict, each waiting on the step before with afterok.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class SlurmCohortTests
{
    private const int TrainingSlides = 6,
        TestSlides = 3,
        Shards = 3;

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void FeaturesArrayThenTrainThenShardedEvaluateAndPredictRunOnSlurm()
    {
        Skip.If(SlurmCluster.Missing() is not null, SlurmCluster.Missing());
        var folder = TestTemp.Folder("slurm").FullName;
        var data = Path.Combine(folder, "camelyon16");
        SyntheticCamelyon16.Generate(data, TrainingSlides, TestSlides, seed: 7, width: 2048, height: 1536);
        var jobs = Directory.CreateDirectory(Path.Combine(folder, "jobs")).FullName;
        var (cache, run, predictions) = (Path.Combine(folder, "cache"), Path.Combine(folder, "run"), jobs + "/pred");
        var evaluation = Path.Combine(folder, "evaluation");
        using var cluster = SlurmCluster.Start(Path.Combine(folder, "cluster"));

        var submitted = cluster.Run(
            "bash",
            new Dictionary<string, string>
            {
                ["PATH"] = AmilOnPath(folder) + ":" + Environment.GetEnvironmentVariable("PATH"),
                ["DATA"] = data,
                ["LAYOUT"] = "camelyon16",
                ["CACHE"] = cache,
                ["RUN"] = run,
                ["EPOCHS"] = "1",
                ["EVALUATION"] = evaluation,
                ["INPUT"] = Path.Combine(data, "testing", "images"),
                ["PREDICTIONS"] = predictions,
                ["SHARDS"] = Shards.ToString(CultureInfo.InvariantCulture),
            },
            jobs,
            Path.Combine(Programs.RepoRoot(), "docs", "cluster", "cohort.sh")
        );
        cluster.WaitForEmptyQueue(TimeSpan.FromMinutes(12));
        var outputs = JobOutputs(jobs, submitted);

        // Every slide encoded exactly once, by one of the array's three tasks.
        var featureLogs = Directory.GetFiles(jobs, "amil-features-*.out");
        Assert.True(featureLogs.Length == Shards, outputs);
        int computed = featureLogs.Sum(log => Computed(File.ReadAllText(log), outputs));
        Assert.Equal(TrainingSlides + TestSlides, computed);

        // Training finished on the array's features: it encoded no tile itself.
        Assert.True(File.Exists(Path.Combine(run, "model.zip")), outputs);
        var trainLog = File.ReadAllText(Path.Combine(run, "log.txt"));
        Assert.Contains("(cached)", trainLog);
        Assert.DoesNotContain("Encoded ", trainLog);

        // Three evaluate shards scored the test slides; the last wrote the metrics and the FROC against the outlines.
        Assert.Equal(Shards, Directory.GetFiles(Path.Combine(evaluation, "shards"), "scores.*.json").Length);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(evaluation, "metrics.json")));
        Assert.Equal(TestSlides, metrics.RootElement.GetProperty("test").GetProperty("images").GetInt32());
        Assert.Contains("\"froc\"", File.ReadAllText(Path.Combine(evaluation, "localization.json")));

        // Three shards scored the three test slides, each once, and the last merged them.
        Assert.Equal(Shards, Directory.GetFiles(Path.Combine(predictions, "shards"), "predictions.*.json").Length);
        using var merged = JsonDocument.Parse(File.ReadAllText(Path.Combine(predictions, "predictions.json")));
        var scored = merged
            .RootElement.EnumerateArray()
            .Select(p => Path.GetFileName(p.GetProperty("path").GetString()));
        Assert.Equal(
            Directory.GetFiles(Path.Combine(data, "testing", "images"), "*.tif").Select(Path.GetFileName).Order(),
            scored.Order()
        );
    }

    /// <summary>A folder holding `amil`, the CLI as built for the tests, as the scripts call it.</summary>
    private static string AmilOnPath(string folder)
    {
        var bin = Directory.CreateDirectory(Path.Combine(folder, "bin")).FullName;
        var amil = Path.Combine(bin, "amil");
        var program = Programs.BuiltProgram(Path.Combine("src", "Runner"), "amil.dll");
        File.WriteAllText(amil, $"#!/bin/sh\nexec dotnet \"{program}\" \"$@\"\n");
        File.SetUnixFileMode(amil, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return bin;
    }

    private static int Computed(string log, string outputs)
    {
        var match = ComputedCount().Match(log);
        Assert.True(match.Success, outputs);
        return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>What cohort.sh printed and every job's output, for failure messages.</summary>
    private static string JobOutputs(string jobs, string submitted) =>
        submitted
        + string.Concat(
            Directory
                .GetFiles(jobs, "*.out")
                .Order()
                .Select(f => $"\n== {Path.GetFileName(f)}\n" + string.Join('\n', File.ReadLines(f).TakeLast(15)))
        );

    [GeneratedRegex(@"(\d+) computed")]
    private static partial Regex ComputedCount();
}
