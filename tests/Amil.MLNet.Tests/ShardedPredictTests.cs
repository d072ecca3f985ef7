using System.Text.Json;
using Amil.MLNet.Application.Jobs;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>predict --shard: shards score disjoint parts of the input, the last one merges them into the same
/// predictions.json an unsharded run writes, a finished shard is not scored again, and a changed input is refused at
/// the merge.</summary>
[Collection("trained")]
public sealed class ShardedPredictTests(TrainedRunFixture run)
{
    [Fact]
    public void ShardsMergeIntoTheUnshardedPredictions()
    {
        var model = Path.Combine(run.RunDirectory, "model.zip");
        var folder = TestTemp.Folder("sharded-predict").FullName;
        var input = Path.Combine(folder, "in");
        Directory.CreateDirectory(input);
        foreach (var image in run.SomeImages(5))
            File.Copy(image, Path.Combine(input, Path.GetFileName(image)));
        var whole = PredictJob.Run(model, input, Path.Combine(folder, "whole"), _ => { });
        var output = Path.Combine(folder, "sharded");

        var log = new List<string>();
        var first = PredictJob.Run(model, input, output, log.Add, Shard(0));
        Assert.Equal(3, first.Count); // inputs 1, 3 and 5 in path order
        Assert.False(File.Exists(Path.Combine(output, "predictions.json")));
        Assert.Contains(log, l => l.Contains("Shard 2 of 2 is not written yet"));

        var merged = PredictJob.Run(model, input, output, log.Add, Shard(1));

        Assert.Equal(whole.Select(p => (p.Path, p.Predicted)), merged.Select(p => (p.Path, p.Predicted)));
        Assert.Equal(
            File.ReadAllText(Path.Combine(folder, "whole", "predictions.json")),
            File.ReadAllText(Path.Combine(output, "predictions.json"))
        );
        log.Clear();
        PredictJob.Run(model, input, output, log.Add, Shard(0));
        Assert.Contains(log, l => l.Contains("Shard 1 of 2 was scored already"));

        // An input that changed between shards is refused at the merge, not merged short.
        File.Copy(run.SomeImages(6)[5], Path.Combine(input, "0-early.png")); // shifts every index
        var error = Assert.Throws<InvalidDataException>(() => PredictJob.Run(model, input, output, _ => { }, Shard(1)));
        Assert.Contains("cover", error.Message);
        using var part = JsonDocument.Parse(
            File.ReadAllText(Path.Combine(output, "shards", "predictions.1-of-2.json"))
        );
        Assert.Equal(64, part.RootElement.GetProperty("models")[0].GetString()!.Length);
    }

    private static PredictJob.Options Shard(int index) => new() { Scoring = new() { Shard = (index, 2) } };
}
