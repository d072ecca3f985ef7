using Amil.MLNet.Trainers.Networks;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>The one list of heads: every pooling option has its head, names are unique, and every spec a head writes
/// finds that head again when a saved network is rebuilt.</summary>
public class HeadRegistryTests
{
    [Fact]
    public void EveryPoolingOptionHasExactlyOneHeadAndEveryNameIsUnique()
    {
        Assert.Equal(
            Enum.GetValues<AttentionPoolingKind>(),
            Heads.Pooling.Select(h => h.Pooling!.Value).Order().ToArray()
        );
        Assert.Equal(Heads.Names.Count, Heads.Names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Single(Heads.All, h => h.Pooling is null);
        Assert.Same(Heads.Attention, Heads.Of(AttentionPoolingKind.Attention));
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
            var architecture = head.Pooling is null
                ? NetworkArchitecture.CnnBaseline
                : NetworkArchitecture.FeatureAttentionMil;
            var spec = head.Configure(
                new NetworkSpec(224, 500, 128, false, 2) { Architecture = architecture, InputScale = 1 },
                options
            );
            var saved = NetworkSpec.Decode(spec.Encode());
            Assert.Same(head, Heads.Of(saved));
            Assert.Equal(head.Map, saved.Map());
            Assert.Equal(head.Name == "clam" ? 5 : 0, saved.InstanceSamples);
            Assert.Equal(head.Name == "additive" ? 7 : 0, saved.ClassifierHidden);
        }
        var damaged = new NetworkSpec(224, 500, 128, false, 2) { Head = (MilHead)99, InputScale = 1 };
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
}
