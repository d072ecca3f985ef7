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
        var on = (device ?? ComputeDevice.Cpu).Resolve();
        using var work = new Workload(new NetworkSpec(patchSize, 500, 128, gated, 2), bags, patches, batchBags, on);
        work.Train(); // warm-up: allocator, kernels
        work.Wait();
        var clock = Stopwatch.StartNew();
        var stepsPerPass = new int[passes];
        for (int p = 0; p < passes; p++)
            stepsPerPass[p] = work.Train();
        work.Wait();
        double train = bags * passes / clock.Elapsed.TotalSeconds;
        var warmUp = work.Infer(readBack: true);
        work.Wait();
        clock.Restart();
        for (int p = 0; p < passes; p++)
            work.Infer();
        work.Wait();
        double inference = bags * passes / clock.Elapsed.TotalSeconds;
        return new Result(train, inference, stepsPerPass, warmUp, work.Infer(readBack: true));
    }

    /// <summary>The network, Adam and the random bags the passes cycle through, made once.</summary>
    private sealed class Workload : IDisposable
    {
        private readonly BagNetwork _network;
        private readonly Training.AdamOptimizer _optimizer;
        private readonly BagLayout _layout;
        private readonly Device _on;
        private readonly int _batchBags;
        private readonly List<Tensor> _inputs = [];

        // _targets[i] and _batches[i]: the batch that starts at bag i (the bags i … i + B − 1, packed once).
        private readonly List<Tensor> _targets = [];
        private readonly List<BagBatch?> _batches = [];

        public Workload(NetworkSpec spec, int bags, int patches, int batchBags, Device on)
        {
            (_on, _batchBags) = (on, batchBags);
            _network = TorchSeeding.Seeded(1, () => BagNetwork.Create(spec)).MoveTo(on);
            _optimizer = new Training.AdamOptimizer(_network.parameters(), 1e-4, 0.9, 0.999, weightDecay: 1e-4);
            int size = spec.PatchSize;
            _layout = new BagLayout(3, size, size, 1, patches, 0, 0, patches * size, size);
            try
            {
                // Drawn from a generator of its own: libtorch's global one belongs to trainings that may run beside
                // us.
                using var noise = new Generator(1);
                _inputs.AddRange(Enumerable.Range(0, bags).Select(_ => RandomBag(noise, patches, size, on)));
                _targets.AddRange(
                    Enumerable
                        .Range(0, bags)
                        .Select(i =>
                            tensor(Enumerable.Range(i, batchBags).Select(j => (long)(j % 2)).ToArray(), device: on)
                        )
                );
                _batches.AddRange(
                    Enumerable
                        .Range(0, bags)
                        .Select(i =>
                            batchBags > 1 && i % batchBags == 0
                                ? new BagBatch(
                                    _inputs.Skip(i).Take(batchBags).Select(t => t.alias()).ToList(),
                                    Enumerable.Repeat(_layout, batchBags).ToList()
                                )
                                : null
                        )
                );
            }
            catch
            {
                Dispose(); // a device out of memory: what was made so far is freed now
                throw;
            }
        }

        private Tensor Logits(int i) =>
            _batchBags == 1 ? _network.Logits(_inputs[i], _layout) : _network.Logits(_batches[i]!);

        /// <summary>One training pass, a step per batch; returns the steps taken.</summary>
        public int Train()
        {
            _network.train();
            int steps = 0;
            for (int i = 0; i < _inputs.Count; i += _batchBags)
            {
                using var scope = NewDisposeScope();
                _optimizer.ZeroGrad();
                F.cross_entropy(Logits(i), _targets[i]).backward();
                _optimizer.Step();
                steps++;
            }
            return steps;
        }

        /// <summary>One inference pass. Logits are read back only in untimed passes: copying them off the device would
        /// slow the timed ones.</summary>
        public float[] Infer(bool readBack = false)
        {
            _network.eval();
            using var _ = no_grad();
            var values = new List<float>();
            for (int i = 0; i < _inputs.Count; i += _batchBags)
            {
                using var scope = NewDisposeScope();
                var logits = Logits(i);
                if (readBack)
                    values.AddRange(logits.cpu().data<float>().ToArray());
            }
            return values.ToArray();
        }

        /// <summary>GPU work is queued: wait for it before reading the clock.</summary>
        public void Wait()
        {
            if (_on.type == DeviceType.CUDA)
                cuda.synchronize(_on);
        }

        public void Dispose()
        {
            foreach (var t in _inputs.Concat(_targets))
                t.Dispose();
            foreach (var batch in _batches)
                batch?.Dispose();
            _optimizer.Dispose();
            _network.Dispose();
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
