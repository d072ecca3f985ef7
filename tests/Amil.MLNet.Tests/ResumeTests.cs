using Amil.MLNet.Application;
using Amil.MLNet.Data.Synthetic;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>A run interrupted mid-epoch and resumed from its checkpoint ends exactly like an uninterrupted
/// one.</summary>
public class ResumeTests
{
    [Fact]
    public void InterruptedThenResumedRunMatchesAnUninterruptedRun()
    {
        var data = TestTemp.Folder("amil-resume-data-").FullName;
        SyntheticHistology.Generate(data, new SyntheticOptions(SyntheticKind.BreakHis, 24, 9) { ImagesPerPatient = 3 });
        var work = TestTemp.Folder("amil-resume-").FullName;
        TrainSettings Settings(string name, Action<int, int, bool>? onBag = null) =>
            new()
            {
                Dataset = new DatasetSelection(DataDirectory: data, Layout: "breakhis"),
                OutDirectory = Path.Combine(work, name),
                Epochs = 3,
                Crop = "112x112",
                Seed = 4,
                OnBag = onBag,
            };

        var straight = TrainJob.Run(Settings("straight"), _ => { });

        using var stop = new CancellationTokenSource();
        int trainBags = 0;
        var interrupted = Path.Combine(work, "interrupted");
        // Stop two bags into the second epoch: the first stop keeps those two steps (not only epoch 1).
        var settings = Settings(
            "interrupted",
            (done, total, training) =>
            {
                if (training && ++trainBags == total + 2)
                    stop.Cancel();
            }
        );
        var e = Assert.Throws<TrainingInterruptedException>(() => TrainJob.Run(settings, _ => { }, stop.Token));
        Assert.Contains("--resume", e.Message);
        Assert.True(File.Exists(Path.Combine(interrupted, RunFiles.CheckpointFile)));
        Assert.False(File.Exists(Path.Combine(interrupted, "model.zip")));
        var checkpoint = Trainers.Training.TrainingCheckpoint.Load(Path.Combine(interrupted, RunFiles.CheckpointFile));
        Assert.Equal(1, checkpoint.Epoch);
        Assert.Equal(2, checkpoint.Unfinished?.Epoch);
        Assert.Equal(2, checkpoint.Unfinished?.Done.Count);

        // The second stop comes in epoch 2's validation, after its training part has finished.
        using var again = new CancellationTokenSource();
        var resumeSettings = new TrainSettings
        {
            Resume = interrupted,
            OnBag = (_, _, training) =>
            {
                if (!training)
                    again.Cancel();
            },
        };
        Assert.Throws<TrainingInterruptedException>(() => TrainJob.Run(resumeSettings, _ => { }, again.Token));

        var resumed = TrainJob.Run(new TrainSettings { Resume = interrupted }, _ => { });
        Assert.Equal(straight.Metrics.Test!.LogLoss, resumed.Metrics.Test!.LogLoss);
        Assert.Equal(straight.Metrics.Test.Accuracy, resumed.Metrics.Test.Accuracy);
        Assert.Equal(straight.Metrics.BestEpoch, resumed.Metrics.BestEpoch);
        Assert.Equal(Losses(Path.Combine(work, "straight")), Losses(interrupted));
        // a finished run drops its checkpoint
        Assert.False(File.Exists(Path.Combine(interrupted, RunFiles.CheckpointFile)));
        Assert.Contains("Resuming", File.ReadAllText(Path.Combine(interrupted, RunFiles.LogFile)));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void SameSeedAndDataGiveTheSameMetrics()
    {
        var data = TestTemp.Folder("amil-repro-data-").FullName;
        SyntheticHistology.Generate(data, new SyntheticOptions(SyntheticKind.BreakHis, 16, 3) { ImagesPerPatient = 2 });
        var work = TestTemp.Folder("amil-repro-").FullName;
        TrainJob.Result Train(string name) =>
            TrainJob.Run(
                new TrainSettings
                {
                    Dataset = new DatasetSelection(DataDirectory: data, Layout: "breakhis"),
                    OutDirectory = Path.Combine(work, name),
                    Epochs = 2,
                    Crop = "112x112",
                    Seed = 8,
                },
                _ => { }
            );
        var a = Train("a");
        var b = Train("b");
        Assert.Equal(a.Metrics.Test!.LogLoss, b.Metrics.Test!.LogLoss);
        Assert.Equal(a.Metrics.Validation?.LogLoss, b.Metrics.Validation?.LogLoss);
        Assert.Equal(Losses(a.RunDirectory), Losses(b.RunDirectory));
    }

    /// <summary>history.csv without the timing column.</summary>
    internal static string[] Losses(string run) =>
        File.ReadAllLines(Path.Combine(run, "history.csv")).Select(l => string.Join(',', l.Split(',')[..^1])).ToArray();
}
