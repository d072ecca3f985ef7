using Amil.MLNet.Data.Synthetic;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Signals sent to a real amil process, as Slurm (scancel, preemption, time limit), Docker, Kubernetes or a
/// terminal send them: train saves and exits 143/130 with how to resume, the resumed run equals an uninterrupted
/// one; view stops.</summary>
public sealed class SignalTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    [Trait("Category", "Slow")]
    public void SigtermMidEpochSavesAndTheResumedRunEqualsAnUninterruptedOne()
    {
        var data = TestTemp.Folder("amil-signal-data-").FullName;
        // 40 whole BreakHis-like images: an epoch of a few seconds, so the signal lands inside one.
        SyntheticHistology.Generate(data, new SyntheticOptions(SyntheticKind.BreakHis, 40, 9));
        var work = TestTemp.Folder("amil-signal-").FullName;
        string[] Train(string name) =>
            [
                "train",
                "--data",
                data,
                "--layout",
                "breakhis",
                "--epochs",
                "3",
                "--seed",
                "4",
                "--out",
                Path.Combine(work, name),
            ];

        var straight = Programs.Amil(Train("straight"));
        Assert.True(straight.Exit == 0, straight.Stderr);

        var stopped = Path.Combine(work, "stopped");
        int exit;
        string output;
        using (var train = RunningProgram.Amil(Train("stopped")))
        {
            train.WaitForLine("epoch   1/3", Minute);
            train.Signal(RunningProgram.SigTerm);
            exit = train.WaitForExit(Minute);
            output = train.Output;
        }
        Assert.True(exit == 143, output);
        Assert.Contains("Stopping on SIGTERM", output);
        Assert.Contains($"amil train --resume {stopped}", output);
        Assert.False(File.Exists(Path.Combine(stopped, "model.zip")));
        var checkpoint = Trainers.Training.TrainingCheckpoint.Load(Path.Combine(stopped, "checkpoint.bin"));
        Assert.True(checkpoint.Epoch >= 1, "epoch 1 had ended when the signal was sent");

        var resumed = Programs.Amil("train", "--resume", stopped);
        Assert.True(resumed.Exit == 0, resumed.Stderr);
        Assert.Equal(ResumeTests.Losses(Path.Combine(work, "straight")), ResumeTests.Losses(stopped));
        Assert.Equal(TestLogLoss(Path.Combine(work, "straight")), TestLogLoss(stopped));

        using var view = RunningProgram.Amil("view", stopped);
        view.WaitForLine("Viewing", Minute);
        view.Signal(RunningProgram.SigTerm);
        Assert.Equal(143, view.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.Contains("Viewer stopped.", view.Output);

        // A signal while the viewer is still scoring is the CLI's too, never the web host's alone (which stopped the
        // host while the CLI waited on).
        using var early = RunningProgram.Amil("view", stopped);
        early.WaitForLine("Scoring", Minute);
        early.Signal(RunningProgram.SigTerm);
        Assert.Equal(143, early.WaitForExit(Minute));
        Assert.Contains("Viewer stopped.", early.Output);
    }

    private static string TestLogLoss(string run) =>
        System
            .Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")))
            .RootElement.GetProperty("test")
            .GetProperty("log_loss")
            .GetRawText();
}
