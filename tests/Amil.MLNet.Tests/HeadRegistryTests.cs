using System.Text.Json;
using Amil.MLNet.Application;
using Amil.MLNet.Trainers.Networks;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>The one list of heads: every pooling option has its head, names are unique, and every spec a head writes
/// finds that head again when a saved network is rebuilt.</summary>
public class HeadRegistryTests
{
    [Fact]
    public void EveryNameIsUniqueAndOnlyTheCnnBaselineDoesNotPool()
    {
        Assert.Equal(Heads.Names.Count, Heads.Names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal("cnn", Assert.Single(Heads.All, h => !h.Pools).Name);
        Assert.Equal(Heads.All.Where(h => h.Pools), Heads.Pooling);
        Assert.Same(Heads.Find("clam"), Heads.Find("CLAM"));
        var unknown = Assert.Throws<ArgumentException>(() => Heads.Find("lstm"));
        Assert.Contains("attention, gated, additive, clam, cnn, dsmil, transmil", unknown.Message);
    }

    [Fact]
    public void TheSpecAHeadWritesLeadsBackToItAndItsMap()
    {
        var options = new AttentionMilOptions { ClamInstanceSamples = 5, AdditiveHiddenSize = 7 };
        foreach (var head in Heads.All)
        {
            var architecture = !head.Pools ? NetworkArchitecture.CnnBaseline : NetworkArchitecture.FeatureAttentionMil;
            var spec = head.Configure(
                new NetworkSpec(224, 500, 128, false, 2) { Architecture = architecture, InputScale = 1 },
                options
            );
            var saved = NetworkSpec.Decode(spec.Encode());
            Assert.Same(head, Assert.Single(Heads.All, h => h.Saved(saved)));
            Assert.Same(head, Heads.Of(saved));
            Assert.Equal(head.Map, saved.Map());
            Assert.Equal(head.Name == "clam" ? 5 : 0, saved.InstanceSamples);
            Assert.Equal(head.Name == "additive" ? 7 : 0, saved.ClassifierHidden);
        }
        var damaged = new NetworkSpec(224, 500, 128, false, 2) { Head = 99, InputScale = 1 };
        Assert.Contains("Unknown MIL head 99", Assert.Throws<InvalidDataException>(() => Heads.Of(damaged)).Message);
    }

    [Fact]
    public void TrainsPoolingChoicesAreTheRegistrysHeads()
    {
        var (exit, stdout, stderr) = Programs.Amil("train", "--help");
        Assert.True(exit == 0, stderr);
        var choices = System.Text.RegularExpressions.Regex.Match(stdout, @"--pooling <([a-z|]+)>").Groups[1].Value;
        Assert.Equal(Heads.Pooling.Select(h => h.Name).Order(), choices.Split('|').Order());
    }

    [Theory]
    [InlineData("\"gated\"", "gated")]
    [InlineData("\"GatedAttention\"", "gated")] // the word the enumeration wrote into earlier run folders
    [InlineData("\"TransMil\"", "transmil")]
    [InlineData("3", "clam")] // its number
    [InlineData("0", "attention")]
    public void RunFoldersNameTheirHeadAndOlderOnesStillResume(string saved, string head)
    {
        var settings = JsonSerializer.Deserialize<TrainSettings>(
            $"{{\"pooling\": {saved}}}",
            Application.Runs.RunFiles.Json
        )!;
        Assert.Same(Heads.Find(head), settings.Pooling);
        Assert.Contains($"\"pooling\": \"{head}\"", JsonSerializer.Serialize(settings, Application.Runs.RunFiles.Json));
    }

    [Theory]
    [InlineData("\"lstm\"", "'lstm' is not a head")]
    [InlineData("9", "9 is not a pooling head")]
    [InlineData("null", "must be named")]
    public void ARunFolderNamingNoHeadIsRefused(string saved, string message)
    {
        var e = Assert.Throws<JsonException>(() =>
            JsonSerializer.Deserialize<TrainSettings>($"{{\"pooling\": {saved}}}", Application.Runs.RunFiles.Json)
        );
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void TheCnnBaselineIsNotAPoolingOption()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            new AttentionMilOptions { Pooling = Heads.Find("cnn") }.Validate()
        );
        Assert.Contains(
            "Pooling must be a MIL head (attention, gated, additive, clam, dsmil, transmil); got cnn",
            e.Message
        );
    }
}
