using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>SIGTERM to a scoring verb (Slurm preemption, a time limit): predict stops after the image in progress,
/// exits 143, and leaves neither a results file nor a temporary one behind.</summary>
[Collection("trained")]
public sealed class ScoringSignalTests(TrainedRunFixture run)
{
    [SkippableFact]
    [Trait("Category", "Slow")]
    public void PredictStopsOnSigtermWithItsExitCodeAndWritesNothing()
    {
        var images = TestTemp.Folder("amil-predict-signal-").FullName;
        var image = run.SomeImages(1)[0];
        for (int i = 0; i < 400; i++)
            File.Copy(image, Path.Combine(images, $"copy_{i:D3}.png"));
        var output = Path.Combine(TestTemp.Folder("amil-predict-signal-out-").FullName, "out");

        int exit;
        string text;
        using (
            var predict = RunningProgram.Amil(
                "predict",
                "--model",
                Path.Combine(run.RunDirectory, "model.zip"),
                "--input",
                images,
                "--out",
                output
            )
        )
        {
            predict.WaitForLine("Scoring 400 image(s)", TimeSpan.FromMinutes(1));
            predict.Signal(RunningProgram.SigTerm);
            exit = predict.WaitForExit(TimeSpan.FromMinutes(1));
            text = predict.Output;
        }

        Skip.If(exit == 0, "all 400 images were scored before the signal arrived");
        Assert.Equal(143, exit);
        Assert.Contains("Interrupted.", text);
        var left = Directory.Exists(output) ? Directory.GetFiles(output, "*", SearchOption.AllDirectories) : [];
        Assert.Empty(left);
    }
}
