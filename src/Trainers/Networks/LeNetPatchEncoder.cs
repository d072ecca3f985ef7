using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>The instance encoder of Ilse et al. (2018) for 3-channel patches:
/// Conv 3→20 k5, ReLU, MaxPool 2, Conv 20→50 k5, ReLU, MaxPool 2, Linear → L, ReLU.</summary>
internal sealed class LeNetPatchEncoder : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> conv1,
        conv2,
        fc;

    public LeNetPatchEncoder(int patchSize, int embeddingSize)
        : base(nameof(LeNetPatchEncoder))
    {
        int side = FeatureSide(patchSize);
        conv1 = Conv2d(3, 20, 5);
        conv2 = Conv2d(20, 50, 5);
        fc = Linear(50 * side * side, embeddingSize);
        RegisterComponents();
    }

    /// <summary>Side of the last feature map: 4 for 28 px patches (so 50×4×4 = 800 inputs to the linear
    /// layer).</summary>
    public static int FeatureSide(int patchSize)
    {
        int side = ((patchSize - 4) / 2 - 4) / 2;
        if (side < 1)
            throw new ArgumentException($"The LeNet encoder needs patches of at least 16 px (got {patchSize}).");
        return side;
    }

    public override Tensor forward(Tensor patches)
    {
        using var input = Kernels.CpuKernels.ForConvolution(patches);
        using var a = F.max_pool2d(F.relu(conv1.forward(input)), 2);
        using var b = F.max_pool2d(F.relu(conv2.forward(a)), 2);
        using var flat = b.flatten(1);
        return F.relu(fc.forward(flat));
    }
}
