using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Amil.MLNet.Trainers.Kernels;

/// <summary>One operation of the self-check: runs forward and backward on fixed inputs and returns the output and
/// every gradient. <paramref name="channelsLast"/> asks for the channels-last convolution layout.</summary>
internal delegate Tensor[] KernelProbe(bool channelsLast);

internal sealed record KernelOperation(string Name, KernelProbe Run);

/// <summary>
/// The self-check: the operations our networks use, forward and backward, on small fixed inputs, on each kernel
/// path against the reference path (oneDNN off). Inputs come from a fixed formula, never from libtorch's random
/// generator, so the check does not change what a seeded training draws.
/// </summary>
internal static class KernelCheck
{
    /// <summary>Float32 sums of up to ~1,200 products differ between correct kernels by ~1e-5 of their scale; the
    /// defects seen are 0.1 to 1 of it.</summary>
    public const double Tolerance = 1e-4;

    /// <summary>oneDNN's defects seen so far are deterministic wrong values plus occasional NaN; repeats catch the
    /// NaN more often.</summary>
    private const int Repeats = 3;

    public static IReadOnlyList<KernelOperation> Operations { get; } =
    [
        new("conv2d 3→20 5×5 (LeNet conv1)", cl => Convolution(cl, 4, 3, 20, 5, 28, 0, 1)),
        new("conv2d 20→50 5×5 (LeNet conv2)", cl => Convolution(cl, 4, 20, 50, 5, 12, 0, 2)),
        new("conv2d 3→64 3×3 (CNN block 1)", cl => Convolution(cl, 1, 3, 64, 3, 32, 1, 3)),
        new("conv2d 64→128 3×3 (CNN block 3)", cl => Convolution(cl, 1, 64, 128, 3, 16, 1, 4)),
        new("max_pool2d 2", cl => Pooling(cl)),
        new("linear 800→500, relu", _ => LinearRelu()),
        new("gated attention, softmax, cross-entropy", _ => GatedAttention()),
    ];

    /// <summary>Runs <paramref name="operations"/> on the reference path (<paramref name="setOneDnn"/>(false)), then
    /// on oneDNN and on channels-last (<paramref name="setOneDnn"/>(true)), and leaves oneDNN on. Results: oneDNN
    /// first, then channels-last.</summary>
    public static IReadOnlyList<KernelPathResult> Measure(
        IReadOnlyList<KernelOperation> operations,
        Action<bool> setOneDnn
    )
    {
        using var scope = NewDisposeScope();
        using var gradients = enable_grad();
        setOneDnn(false);
        Tensor[][] reference;
        try
        {
            reference = operations.Select(o => o.Run(false)).ToArray();
        }
        finally
        {
            setOneDnn(true);
        }
        return
        [
            Compare(CpuKernelMode.OneDnn, operations, reference, false),
            Compare(CpuKernelMode.ChannelsLast, operations, reference, true),
        ];
    }

    /// <summary>The path <see cref="CpuKernelMode.Auto"/> takes: oneDNN where it agrees, else channels-last where it
    /// agrees, else the reference.</summary>
    public static CpuKernelMode Choose(IReadOnlyList<KernelPathResult> results) =>
        results[0].Agrees ? CpuKernelMode.OneDnn
        : results[1].Agrees ? CpuKernelMode.ChannelsLast
        : CpuKernelMode.Reference;

    private static KernelPathResult Compare(
        CpuKernelMode path,
        IReadOnlyList<KernelOperation> operations,
        Tensor[][] reference,
        bool channelsLast
    )
    {
        double worst = 0;
        string worstName = operations[0].Name;
        bool nonFinite = false;
        var clock = new Stopwatch();
        for (int repeat = 0; repeat < Repeats && !nonFinite; repeat++)
        for (int i = 0; i < operations.Count && !nonFinite; i++)
        {
            clock.Start();
            var outputs = operations[i].Run(channelsLast);
            clock.Stop();
            for (int t = 0; t < outputs.Length; t++)
            {
                double error = RelativeError(outputs[t], reference[i][t]);
                if (double.IsNaN(error) || double.IsInfinity(error))
                {
                    nonFinite = true;
                    worstName = operations[i].Name;
                    break;
                }
                if (error > worst)
                    (worst, worstName) = (error, operations[i].Name);
            }
        }
        return new KernelPathResult(
            path.Name(),
            nonFinite ? null : worst,
            worstName,
            nonFinite,
            Math.Round(clock.Elapsed.TotalMilliseconds / Repeats, 1)
        );
    }

    /// <summary>max |a − r| / max |r|; NaN or infinity when <paramref name="actual"/> is not finite.</summary>
    internal static double RelativeError(Tensor actual, Tensor reference)
    {
        if (!actual.isfinite().all().item<bool>())
            return double.NaN;
        double scale = reference.abs().max().item<float>();
        double difference = (actual - reference).abs().max().item<float>();
        return scale > 0 ? difference / scale : difference;
    }

    private static Tensor[] Convolution(
        bool channelsLast,
        int batch,
        int inChannels,
        int outChannels,
        int kernel,
        int side,
        int padding,
        int seed
    )
    {
        var x = Fixed(seed, 1.0, batch, inChannels, side, side).requires_grad_(true);
        double bound = 1.0 / Math.Sqrt(inChannels * kernel * kernel);
        var w = Fixed(seed + 10, bound, outChannels, inChannels, kernel, kernel).requires_grad_(true);
        var b = Fixed(seed + 20, bound, outChannels).requires_grad_(true);
        var input = channelsLast ? CpuKernels.ToChannelsLast(x) : x;
        var y = F.conv2d(input, w, b, padding: [padding, padding]);
        y.backward([Fixed(seed + 30, 1.0, y.shape)]);
        return [y.detach(), x.grad!, w.grad!, b.grad!];
    }

    private static Tensor[] Pooling(bool channelsLast)
    {
        var x = Fixed(5, 1.0, 4, 20, 24, 24).requires_grad_(true);
        var input = channelsLast ? CpuKernels.ToChannelsLast(x) : x;
        var y = F.max_pool2d(F.relu(input), 2);
        y.backward([Fixed(35, 1.0, y.shape)]);
        return [y.detach(), x.grad!];
    }

    private static Tensor[] LinearRelu()
    {
        var x = Fixed(6, 1.0, 8, 800).requires_grad_(true);
        var w = Fixed(16, 1.0 / Math.Sqrt(800), 500, 800).requires_grad_(true);
        var b = Fixed(26, 0.03, 500).requires_grad_(true);
        var y = F.relu(F.linear(x, w, b));
        y.backward([Fixed(36, 1.0, y.shape)]);
        return [y.detach(), x.grad!, w.grad!, b.grad!];
    }

    /// <summary>Ilse et al.'s gated attention over a bag of 16 embeddings, then the classifier's loss.</summary>
    private static Tensor[] GatedAttention()
    {
        var h = Fixed(7, 1.0, 16, 64).requires_grad_(true);
        var v = Fixed(17, 0.125, 32, 64).requires_grad_(true);
        var u = Fixed(27, 0.125, 32, 64).requires_grad_(true);
        var a = Fixed(37, 0.18, 1, 32).requires_grad_(true);
        var c = Fixed(47, 0.125, 2, 64).requires_grad_(true);
        var gate = tanh(F.linear(h, v)) * sigmoid(F.linear(h, u));
        var weights = softmax(F.linear(gate, a).t(), 1);
        var logits = F.linear(weights.mm(h), c);
        var loss = F.cross_entropy(logits, tensor(new long[] { 1 }));
        loss.backward();
        return [weights.detach(), logits.detach(), h.grad!, v.grad!, u.grad!, a.grad!, c.grad!];
    }

    /// <summary>Values in [−scale, scale) from a fixed integer hash: the same on every machine, no generator
    /// state.</summary>
    private static Tensor Fixed(int seed, double scale, params long[] shape)
    {
        long count = shape.Aggregate(1L, (p, d) => p * d);
        var values = new float[count];
        uint state = (uint)seed * 2654435761u + 1;
        for (long i = 0; i < count; i++)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            values[i] = (float)(((state >> 8) / (double)(1 << 24) * 2 - 1) * scale);
        }
        return tensor(values).reshape(shape);
    }
}
