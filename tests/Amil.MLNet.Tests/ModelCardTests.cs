using Amil.MLNet.Application.Runs;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>model_card.md: written with every run, from the run's own files, so its figures are metrics.json's.
/// </summary>
[Collection("trained")]
public sealed class ModelCardTests(TrainedRunFixture run)
{
    [Fact]
    public void ARunsModelCardStatesItsModelDataAndFiguresAsMetricsJsonDoes()
    {
        var path = Path.Combine(run.RunDirectory, ModelCard.FileName);
        Assert.True(File.Exists(path), "train writes model_card.md beside report.html");
        var card = File.ReadAllText(path);
        var test = run.Result.Metrics.Test!;

        Assert.Contains($"- Classes: {string.Join(", ", run.Result.Metrics.Classes)}.", card);
        Assert.Contains($"## Results on the test split ({test.Images} images)", card);
        Assert.Contains($"| accuracy | {test.WithInterval("accuracy", test.Accuracy)} |", card);
        Assert.Contains($"| AUC | {test.WithInterval("auc", test.Auc)} |", card);
        Assert.Contains("Not a medical device", card);
        Assert.Contains("config.json's `settings`", card);

        // `amil report` writes it again, the same.
        File.Delete(path);
        var (exit, _, stderr) = Programs.Amil("report", "--run", run.RunDirectory);
        Assert.True(exit == 0, stderr);
        Assert.Equal(card, File.ReadAllText(path));
    }
}
