using Amil.MLNet.Trainers.Kernels;
using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Trainers.Scoring;
using Amil.MLNet.Transforms.Bagging;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Amil.MLNet.Tests;

/// <summary>The CPU-kernel self-check's decisions, with faked kernels: the real ones are right or wrong depending on
/// the machine, these are wrong on purpose.</summary>
public class CpuKernelCheckTests
{
    /// <summary>A fake operation: the reference values where oneDNN is off, <paramref name="fault"/> added on the paths
    /// it names.</summary>
    private static KernelOperation Fake(string name, Func<bool, bool, float> fault)
    {
        return new KernelOperation(name, channelsLast => [tensor(new[] { 1f, -2f, 3f }) + fault(OneDnn, channelsLast)]);
    }

    [ThreadStatic]
    private static bool OneDnn;

    private static IReadOnlyList<KernelPathResult> Measure(params KernelOperation[] operations) =>
        KernelCheck.Measure(operations, on => OneDnn = on);

    [Fact]
    public void AgreeingKernelsKeepOneDnn()
    {
        var results = Measure(Fake("conv", (_, _) => 0), Fake("linear", (on, _) => on ? 1e-6f : 0));
        Assert.All(results, r => Assert.True(r.Agrees));
        Assert.Equal(CpuKernelMode.OneDnn, KernelCheck.Choose(results));
        Assert.Equal("linear", results[0].WorstOperation);
        Assert.InRange(results[0].WorstError!.Value, 1e-7, 1e-6);
        Assert.Null(new CpuKernelCheck("cpu", "auto", "onednn", results).Warning());
    }

    [Fact]
    public void WrongOneDnnValuesMoveToChannelsLastAndSaySo()
    {
        var results = Measure(Fake("pool", (_, _) => 0), Fake("conv2d 20→50", (on, cl) => on && !cl ? 0.6f : 0));
        Assert.False(results[0].Agrees);
        Assert.Equal("conv2d 20→50", results[0].WorstOperation);
        Assert.Equal(0.2, results[0].WorstError!.Value, 6); // 0.6 off on values of magnitude 3
        Assert.True(results[1].Agrees);
        Assert.Equal(CpuKernelMode.ChannelsLast, KernelCheck.Choose(results));
        var warning = new CpuKernelCheck("Test CPU 9000", "auto", "channels-last", results).Warning();
        Assert.NotNull(warning);
        Assert.Contains("Test CPU 9000", warning);
        Assert.Contains("conv2d 20→50", warning);
        Assert.Contains("0.2", warning);
        Assert.Contains("channels-last", warning);
        Assert.Contains(CpuKernels.EnvironmentVariable, warning);
    }

    [Fact]
    public void NaNOnEveryOneDnnPathFallsBackToTheReference()
    {
        var results = Measure(Fake("conv", (on, _) => on ? float.NaN : 0));
        Assert.True(results[0].NonFinite);
        Assert.Null(results[0].WorstError);
        Assert.True(results[1].NonFinite);
        Assert.Equal(CpuKernelMode.Reference, KernelCheck.Choose(results));
        var check = new CpuKernelCheck("cpu", "auto", "reference", results);
        Assert.Contains("non-finite values in conv", check.Warning());
        Assert.Contains("reference", check.Describe());
    }

    [Fact]
    public void AFaultJustOverTheToleranceIsCaught()
    {
        // 3 × 2e-4 off on magnitude 3: relative 2e-4, twice the tolerance.
        var results = Measure(Fake("conv", (on, _) => on ? 6e-4f : 0));
        Assert.False(results[0].Agrees);
        Assert.Equal(CpuKernelMode.Reference, KernelCheck.Choose(results));
    }

    [Theory]
    [InlineData("auto", CpuKernelMode.Auto)]
    [InlineData("OneDNN", CpuKernelMode.OneDnn)]
    [InlineData(" channels-last ", CpuKernelMode.ChannelsLast)]
    [InlineData("reference", CpuKernelMode.Reference)]
    public void ModesParseByName(string text, CpuKernelMode mode) => Assert.Equal(mode, CpuKernelModeNames.Parse(text));

    [Fact]
    public void AnUnknownModeNamesTheChoices()
    {
        var e = Assert.Throws<ArgumentException>(() => CpuKernelModeNames.Parse("mkl"));
        Assert.Contains("'mkl'", e.Message);
        Assert.Contains("auto, onednn, channels-last, reference", e.Message);
    }

    [Fact]
    public void ChannelsLastKeepsEveryValue()
    {
        using var x = arange(2 * 3 * 4 * 5, dtype: float32).reshape(2, 3, 4, 5);
        using var cl = CpuKernels.ToChannelsLast(x);
        Assert.Equal(x.shape, cl.shape);
        Assert.True(cl.eq(x).all().item<bool>());
        Assert.Equal(new long[] { 60, 1, 15, 3 }, cl.stride());
    }

    [SkippableFact]
    public void ThisMachinesChoiceAgreesWithTheReference()
    {
        var check = CpuKernels.Current;
        Assert.False(string.IsNullOrWhiteSpace(check.Cpu));
        Skip.If(
            check.Requested != "auto",
            $"{CpuKernels.EnvironmentVariable} forces {check.Requested}: nothing measured"
        );
        Assert.Equal(2, check.Checked.Count);
        Assert.All(check.Checked, r => Assert.True(r.NonFinite || r.WorstError is >= 0));
        var active = check.Checked.FirstOrDefault(r => r.Path == check.Active);
        // The reference path is the yardstick itself; any other choice must have agreed with it.
        Assert.True(check.Active == "reference" || active!.Agrees, check.Describe());
    }
}

/// <summary>Scoring the same bags again and again in one process gives the same numbers bit for bit, and the
/// probabilities of a double-precision copy of the network (which libtorch never sends to oneDNN, so it is a reference
/// whatever the process's kernels). Fails on a CPU with faulty oneDNN kernels unless the self-check moved the process
/// off them. It changes no process-wide setting, so it runs beside other tests.</summary>
public class CpuKernelDeterminismTests
{
    [Theory]
    [InlineData(NetworkArchitecture.AttentionMil)]
    [InlineData(NetworkArchitecture.CnnBaseline)]
    public void RepeatedScoringIsIdenticalAndMatchesTheReferencePath(NetworkArchitecture architecture)
    {
        var spec =
            architecture == NetworkArchitecture.CnnBaseline
                ? new NetworkSpec(28, 500, 128, true, 2)
                {
                    Architecture = architecture,
                    Rows = 2,
                    Cols = 2,
                    InputScale = 1,
                }
                : new NetworkSpec(28, 500, 128, true, 2);
        using var network = TorchSeeding.Seeded(9, () => BagNetwork.Create(spec));
        network.eval();
        var layout = new BagLayout(3, 28, 28, 2, 2, 0, 0, 56, 56);
        var random = new Random(3);
        var bags = Enumerable
            .Range(0, 4)
            .Select(_ =>
                Enumerable.Range(0, layout.Count * layout.PatchLength).Select(_ => random.NextSingle()).ToArray()
            )
            .ToArray();
        var first = bags.Select(b => BagScorer.Score(network, b, layout)).ToArray();
        for (int repeat = 0; repeat < 10; repeat++)
        for (int b = 0; b < bags.Length; b++)
        {
            var (p, map) = BagScorer.Score(network, bags[b], layout);
            Assert.Equal(first[b].Probabilities, p);
            Assert.Equal(first[b].Map, map);
        }
        Assert.All(first, s => Assert.All(s.Probabilities.Concat(s.Map), v => Assert.True(float.IsFinite(v))));

        using var reference = TorchSeeding.Seeded(9, () => BagNetwork.Create(spec));
        reference.to(ScalarType.Float64);
        reference.eval();
        for (int b = 0; b < bags.Length; b++)
        {
            using var scope = NewDisposeScope();
            var bag = tensor(bags[b].Select(v => (double)v).ToArray(), reference.InputShape(layout, bags[b].Length));
            using var _ = no_grad();
            var p = reference.Logits(bag, layout).softmax(1).data<double>().ToArray();
            for (int i = 0; i < p.Length; i++)
                Assert.Equal(p[i], first[b].Probabilities[i], 1e-5);
        }
    }
}

/// <summary>What a new user's first screen shows of the self-check: our one warning at most, never libtorch's
/// per-convolution NNPACK probe.</summary>
public class CpuKernelScreenTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public void TheSelfCheckLeavesNoLibTorchNnpackLinesOnTheScreen()
    {
        var output = Path.Combine(TestTemp.Folder("kernel-screen").FullName, "bench.json");
        var (exit, stdout, stderr) = Programs.Amil("bench", "--images", "4", "--out", output);
        Assert.True(exit == 0, stderr);
        Assert.DoesNotContain("NNPACK", stdout + stderr);
        using var report = System.Text.Json.JsonDocument.Parse(File.ReadAllText(output));
        var root = report.RootElement;
        // The ratios compare like with like and agree with the rates beside them (as printed: to the ratio's third
        // decimal). The whole slide path holds the encoder's calls on the same tiles, yet on a VM whose speed drifts
        // it can time a little above the encoder alone (1.009 seen), so no upper bound is asserted: this is a
        // benchmark, not a timed test.
        Assert.True(root.GetProperty("slide_tiles").GetInt32() > 0);
        Assert.InRange(root.GetProperty("slide_encoding_vs_encoder").GetDouble(), 0.01, 2.0);
        Assert.Equal(
            root.GetProperty("slide_encoding_tiles_per_s").GetDouble()
                / root.GetProperty("slide_encoder_alone_tiles_per_s").GetDouble(),
            root.GetProperty("slide_encoding_vs_encoder").GetDouble(),
            0.001
        );
        Assert.True(root.GetProperty("inference_vs_raw").GetDouble() > 0);
        Assert.Equal(
            root.GetProperty("inference_images_per_s").GetDouble()
                / root.GetProperty("raw_inference_bags_per_s").GetDouble(),
            root.GetProperty("inference_vs_raw").GetDouble(),
            0.001
        );
    }
}
