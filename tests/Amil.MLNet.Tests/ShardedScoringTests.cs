using Amil.MLNet.Application;
using Amil.MLNet.Application.Jobs;
using Amil.MLNet.Maps.Heatmaps;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>evaluate, heatmap and localize --shard: each shard stores its part's scores, the last one to finish
/// writes the same files an unsharded run writes, a stored shard is not scored again, and an input that changed
/// between shards is refused.</summary>
[Collection("trained")]
public sealed class ShardedScoringTests(TrainedRunFixture run)
{
    private string Model => Path.Combine(run.RunDirectory, "model.zip");

    private DatasetSelection Selection => new(DatasetsFile: run.DatasetsFile);

    private static ScoringOptions Shard(int index) => new() { Shard = (index, 2) };

    [Fact]
    public void ShardedEvaluateWritesTheUnshardedMetrics()
    {
        var folder = TestTemp.Folder("sharded-evaluate").FullName;
        var options = new EvaluateJob.Options { Localization = true };
        var whole = EvaluateJob.Run(Model, Selection, Path.Combine(folder, "whole"), _ => { }, options)!;
        var output = Path.Combine(folder, "sharded");

        var log = new List<string>();
        Assert.Null(EvaluateJob.Run(Model, Selection, output, log.Add, options with { Scoring = Shard(1) }));
        Assert.False(File.Exists(Path.Combine(output, "metrics.json")));
        Assert.Contains(log, l => l.Contains("Shard 1 of 2 of evaluate is not stored yet"));
        var merged = EvaluateJob.Run(Model, Selection, output, log.Add, options with { Scoring = Shard(0) })!;

        Assert.Equal(whole.Test!.Images, merged.Test!.Images);
        Assert.Equal(
            File.ReadAllText(Path.Combine(folder, "whole", "metrics.json")),
            File.ReadAllText(Path.Combine(output, "metrics.json"))
        );
        log.Clear();
        EvaluateJob.Run(Model, Selection, output, log.Add, options with { Scoring = Shard(1) });
        Assert.Contains(log, l => l.Contains("Shard 2 of 2 of evaluate was scored already"));
    }

    [Fact]
    public void ShardedHeatmapDrawsWhatAnUnshardedOneDraws()
    {
        var folder = TestTemp.Folder("sharded-heatmap").FullName;
        var input = Path.Combine(folder, "in");
        Directory.CreateDirectory(input);
        foreach (var image in run.SomeImages(3))
            File.Copy(image, Path.Combine(input, Path.GetFileName(image)));
        var settings = new HeatmapJob.Settings();
        var whole = HeatmapJob.Run(Model, null, input, Path.Combine(folder, "whole"), settings, _ => { });
        var output = Path.Combine(folder, "sharded");

        var first = HeatmapJob.Run(Model, null, input, output, settings, _ => { }, Shard(0));
        Assert.True(first.Waiting);
        Assert.False(File.Exists(Path.Combine(output, "heatmaps.json")));
        var last = HeatmapJob.Run(Model, null, input, output, settings, _ => { }, Shard(1));

        Assert.False(last.Waiting);
        Assert.Equal(whole.Panels.Select(p => p.Panel), last.Panels.Select(p => p.Panel));
        foreach (var name in new[] { "heatmaps.json", whole.Panels[0].Panel, whole.Panels[2].Panel })
            Assert.Equal(
                File.ReadAllBytes(Path.Combine(folder, "whole", name)),
                File.ReadAllBytes(Path.Combine(output, name))
            );
    }

    [Fact]
    public void ShardedLocalizeComparesAsAnUnshardedOneAndRefusesAChangedInput()
    {
        var folder = TestTemp.Folder("sharded-localize").FullName;
        LocalizeJob.Report? Compare(string output, ScoringOptions? scoring) =>
            LocalizeJob.Run(
                [$"a={Model}", $"b={Model}"],
                null,
                Selection,
                Path.Combine(folder, output),
                MapNormalization.None,
                false,
                _ => { },
                scoring: scoring
            );
        Compare("whole", null);

        Assert.Null(Compare("sharded", Shard(0)));
        Assert.NotNull(Compare("sharded", Shard(1)));

        Assert.Equal(
            File.ReadAllText(Path.Combine(folder, "whole", "localization.json")),
            File.ReadAllText(Path.Combine(folder, "sharded", "localization.json"))
        );
        // A shard stored for other inputs (here: written as if the test split were another) is refused at the merge.
        var other = ShardedScores.PathOf(Path.Combine(folder, "sharded"), "a", (0, 2));
        var text = File.ReadAllText(other);
        File.WriteAllText(other, text.Replace("\"inputs\": [", "\"inputs\": [\"/elsewhere/x.png\", "));
        var error = Assert.Throws<InvalidDataException>(() => Compare("sharded", Shard(1)));
        Assert.Contains("do not cover", error.Message);
    }
}
