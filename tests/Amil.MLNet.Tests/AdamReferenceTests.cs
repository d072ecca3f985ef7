using System.Runtime;
using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Trainers.Training;
using Amil.MLNet.Transforms.Bagging;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Amil.MLNet.Tests;

/// <summary>Our Adam against TorchSharp's. TorchSharp's own step carries the very defect ours fixes (a collection
/// during its native calls can corrupt a Scalar), so the reference runs alone and without collections.</summary>
[Collection("alone")]
public class AdamReferenceTests
{
    [Fact]
    public void AdamOptimizerStepsExactlyLikeTorchSharpAdam()
    {
        var spec = new NetworkSpec(28, 500, 128, true, 2);
        using var reference = TorchSeeding.Seeded(3, () => BagNetwork.Create(spec));
        using var ours = TorchSeeding.Seeded(3, () => BagNetwork.Create(spec));
        Assert.Equal(reference.ExportWeights(), ours.ExportWeights());
        using var torchAdam = optim.Adam(reference.parameters(), 1e-3, 0.9, 0.999, weight_decay: 1e-4);
        using var adam = new AdamOptimizer(ours.parameters(), 1e-3, 0.9, 0.999, weightDecay: 1e-4);
        var layout = new BagLayout(3, 28, 28, 4, 5, 0, 0, 140, 112);
        var random = new Random(7);
        for (int step = 0; step < 12; step++)
        {
            var pixels = Enumerable
                .Range(0, layout.Count * layout.PatchLength)
                .Select(_ => (float)random.NextDouble())
                .ToArray();
            long label = step % 2;
            foreach (
                var (network, stepper) in new (BagNetwork, Action)[]
                {
                    (
                        reference,
                        () =>
                        {
                            torchAdam.zero_grad();
                        }
                    ),
                    (ours, adam.ZeroGrad),
                }
            )
            {
                using var scope = NewDisposeScope();
                stepper();
                var logits = network.Logits(tensor(pixels, network.InputShape(layout, pixels.Length)), layout);
                F.cross_entropy(logits, tensor(new[] { label })).backward();
                if (network == reference)
                    WithoutCollections(() => torchAdam.step());
                else
                    adam.Step();
            }
        }
        Assert.Equal(reference.ExportWeights(), ours.ExportWeights());
    }

    private static void WithoutCollections(Action step)
    {
        bool region = GC.TryStartNoGCRegion(16 << 20);
        try
        {
            step();
        }
        finally
        {
            if (region && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
                GC.EndNoGCRegion();
        }
    }
}
