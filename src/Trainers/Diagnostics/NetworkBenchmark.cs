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
    /// <param name="TrainStepsPerPass">Optimizer steps taken in each timed training pass: every pass steps every
    /// batch.</param>
    /// <param name="WarmUpLogits">Logits of every batch, in order, from the untimed inference pass before the timed
    /// ones.</param>
    /// <param name="LastLogits">The same, from an untimed pass after the timed ones: equal to
    /// <paramref name="WarmUpLogits"/> when the passes stepped the same, intact batches.</param>
    public sealed record Result(
        double TrainBagsPerSecond,
        double InferenceBagsPerSecond,
        int[] TrainStepsPerPass,
        float[] WarmUpLogits,
        float[] LastLogits
    );

    /// <param name="bags">Distinct random bags cycled through (the reference script uses 20); rounded up to whole
    /// batches.</param>
    /// <param name="batchBags">Bags per step (B): the encoder runs on B × <paramref name="patches"/> patches at once,
    /// attention per bag.</param>
    public static Result Run(
        int bags = 20,
        int patches = 400,
        int patchSize = 28,
        bool gated = false,
        int passes = 2,
        ComputeDevice? device = null,
        int batchBags = 1
    )
    {
        if (batchBags < 1)
            throw new ArgumentException($"The batch must hold at least one bag (got {batchBags}).");
        bags = (bags + batchBags - 1) / batchBags * batchBags;
        var spec = new NetworkSpec(patchSize, 500, 128, gated, 2);
        var on = (device ?? ComputeDevice.Cpu).Resolve();
        using var network = TorchSeeding.Seeded(1, () => BagNetwork.Create(spec)).MoveTo(on);
        using var optimizer = new Training.AdamOptimizer(network.parameters(), 1e-4, 0.9, 0.999, weightDecay: 1e-4);
        var layout = new BagLayout(3, patchSize, patchSize, 1, patches, 0, 0, patches * patchSize, patchSize);
        // Drawn from a generator of its own: libtorch's global one belongs to trainings that may run beside us.
        using var noise = new Generator(1);
        var inputs = Enumerable.Range(0, bags).Select(_ => RandomBag(noise, patches, patchSize, on)).ToList();
        // targets[i] and batches[i]: the batch that starts at bag i (the bags i … i + B − 1, packed once).
        var targets = Enumerable
            .Range(0, bags)
            .Select(i => tensor(Enumerable.Range(i, batchBags).Select(j => (long)(j % 2)).ToArray(), device: on))
            .ToList();
        var batches = Enumerable
            .Range(0, bags)
            .Select(i =>
                batchBags > 1 && i % batchBags == 0
                    ? new BagBatch(
                        inputs.Skip(i).Take(batchBags).Select(t => t.alias()).ToList(),
                        Enumerable.Repeat(layout, batchBags).ToList()
                    )
                    : null
            )
            .ToList();
        // GPU work is queued: wait for it before reading the clock.
        void Wait()
        {
            if (on.type == DeviceType.CUDA)
                cuda.synchronize(on);
        }
        try
        {
            int Train()
            {
                network.train();
                int steps = 0;
                for (int i = 0; i < bags; i += batchBags)
                {
                    using var scope = NewDisposeScope();
                    optimizer.ZeroGrad();
                    var logits = batchBags == 1 ? network.Logits(inputs[i], layout) : network.Logits(batches[i]!);
                    F.cross_entropy(logits, targets[i]).backward();
                    optimizer.Step();
                    steps++;
                }
                return steps;
            }
            // Logits are read back only in untimed passes: copying them off the device would slow the timed ones.
            float[] Infer(bool readBack = false)
            {
                network.eval();
                using var _ = no_grad();
                var values = new List<float>();
                for (int i = 0; i < bags; i += batchBags)
                {
                    using var scope = NewDisposeScope();
                    var logits = batchBags == 1 ? network.Logits(inputs[i], layout) : network.Logits(batches[i]!);
                    if (readBack)
                        values.AddRange(logits.cpu().data<float>().ToArray());
                }
                return values.ToArray();
            }
            Train(); // warm-up: allocator, kernels
            Wait();
            var clock = Stopwatch.StartNew();
            var stepsPerPass = new int[passes];
            for (int p = 0; p < passes; p++)
                stepsPerPass[p] = Train();
            Wait();
            double train = bags * passes / clock.Elapsed.TotalSeconds;
            var warmUp = Infer(readBack: true);
            Wait();
            clock.Restart();
            for (int p = 0; p < passes; p++)
                Infer();
            Wait();
            double inference = bags * passes / clock.Elapsed.TotalSeconds;
            return new Result(train, inference, stepsPerPass, warmUp, Infer(readBack: true));
        }
        finally
        {
            foreach (var t in inputs.Concat(targets))
                t.Dispose();
            foreach (var batch in batches)
                batch?.Dispose();
        }
    }

    private static Tensor RandomBag(Generator noise, int patches, int patchSize, Device on)
    {
        var bag = rand(patches, 3, patchSize, patchSize, generator: noise);
        if (on.type == DeviceType.CPU)
            return bag;
        using (bag)
            return bag.to(on);
    }
}
