using System.Diagnostics;
using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Transforms.Bagging;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Amil.MLNet.Trainers.Diagnostics;

/// <summary>The raw TorchSharp loop on pre-made tensors (no decoding, no IDataView): the ceiling end-to-end training
/// can reach.</summary>
public static class NetworkBenchmark
{
    public sealed record Result(double TrainBagsPerSecond, double InferenceBagsPerSecond);

    /// <param name="bags">Distinct random bags cycled through (the reference script uses 20).</param>
    public static Result Run(
        int bags = 20,
        int patches = 400,
        int patchSize = 28,
        bool gated = false,
        int passes = 2,
        ComputeDevice? device = null
    )
    {
        var spec = new NetworkSpec(patchSize, 500, 128, gated, 2);
        var on = (device ?? ComputeDevice.Cpu).Resolve();
        using var network = TorchSeeding.Seeded(1, () => BagNetwork.Create(spec)).MoveTo(on);
        using var optimizer = new Training.AdamOptimizer(network.parameters(), 1e-4, 0.9, 0.999, weightDecay: 1e-4);
        var layout = new BagLayout(3, patchSize, patchSize, 1, patches, 0, 0, patches * patchSize, patchSize);
        var inputs = Enumerable.Range(0, bags).Select(_ => rand(patches, 3, patchSize, patchSize, device: on)).ToList();
        var targets = Enumerable.Range(0, bags).Select(i => tensor(new long[] { i % 2 }, device: on)).ToList();
        // GPU work is queued: wait for it before reading the clock.
        void Wait()
        {
            if (on.type == DeviceType.CUDA)
                cuda.synchronize(on);
        }
        try
        {
            void Train()
            {
                network.train();
                for (int i = 0; i < bags; i++)
                {
                    using var scope = NewDisposeScope();
                    optimizer.ZeroGrad();
                    F.cross_entropy(network.Logits(inputs[i], layout), targets[i]).backward();
                    optimizer.Step();
                }
            }
            void Infer()
            {
                network.eval();
                using var _ = no_grad();
                for (int i = 0; i < bags; i++)
                {
                    using var scope = NewDisposeScope();
                    network.Logits(inputs[i], layout);
                }
            }
            Train(); // warm-up: allocator, kernels
            Wait();
            var clock = Stopwatch.StartNew();
            for (int p = 0; p < passes; p++)
                Train();
            Wait();
            double train = bags * passes / clock.Elapsed.TotalSeconds;
            Infer();
            Wait();
            clock.Restart();
            for (int p = 0; p < passes; p++)
                Infer();
            Wait();
            return new Result(train, bags * passes / clock.Elapsed.TotalSeconds);
        }
        finally
        {
            foreach (var t in inputs.Concat(targets))
                t.Dispose();
        }
    }
}
