using TorchSharp;
using static TorchSharp.torch;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>
/// LeakyReLU with slope 0.01 held in one process-lifetime <see cref="Scalar"/>. TorchSharp's LeakyReLU and
/// <c>functional.leaky_relu</c> convert the slope to a fresh Scalar on every call, which a GC may finalize while
/// libtorch still reads it (see <see cref="Training.AdamOptimizer"/>).
/// </summary>
internal sealed class LeakyRelu() : nn.Module<Tensor, Tensor>(nameof(LeakyRelu))
{
    /// <summary>A static root: never collected, so never freed during a native call.</summary>
    private static readonly Scalar Slope = 0.01.ToScalar();

    public static Tensor Apply(Tensor input) => input.leaky_relu(Slope);

    public override Tensor forward(Tensor input) => Apply(input);
}
