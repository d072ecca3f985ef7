using Amil.MLNet.Transforms.Bagging;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>
/// The whole-image CNN baseline (the reference "my_network"): 5 × [Conv 3×3, LeakyReLU 0.01, MaxPool 2] with 64, 64,
/// 128, 128, 128 channels, Dropout 0.5, FC → 1024, Dropout 0.5, FC → classes. It sees the same analysed region as
/// Attention-MIL: the bag's patches are stitched back into the image (they tile it when stride = patch size),
/// optionally downscaled by <see cref="NetworkSpec.InputScale"/>. Its localization map is Grad-CAM on the last conv
/// block for the predicted class, averaged over each patch.
/// </summary>
internal sealed class BaselineCnn : BagNetwork
{
    public static readonly int[] Channels = [64, 64, 128, 128, 128];
    public const int HiddenSize = 1024;

    private readonly Sequential features;
    private readonly SeededDropout dropout1,
        dropout2;
    private readonly Linear hidden,
        output;

    public BaselineCnn(NetworkSpec spec)
        : base(nameof(BaselineCnn), spec)
    {
        var (height, width) = FeatureSize(spec);
        var blocks = new List<(string, Module<Tensor, Tensor>)>();
        int inChannels = 3;
        for (int i = 0; i < Channels.Length; i++)
        {
            blocks.Add(
                (
                    $"block{i + 1}",
                    Sequential(Conv2d(inChannels, Channels[i], 3, padding: 1), new LeakyRelu(), MaxPool2d(2))
                )
            );
            inChannels = Channels[i];
        }
        features = Sequential(blocks);
        dropout1 = new SeededDropout(0.5);
        hidden = Linear(Channels[^1] * height * width, HiddenSize);
        dropout2 = new SeededDropout(0.5);
        output = Linear(HiddenSize, spec.Classes);
        RegisterComponents();
    }

    /// <summary>Height and width of the last conv block's output for the spec's input grid.</summary>
    public static (int Height, int Width) FeatureSize(NetworkSpec spec)
    {
        if (spec.InputScale < 1)
            throw new ArgumentException($"The CNN input scale must be at least 1 (got {spec.InputScale}).");
        int height = spec.Rows * spec.PatchSize / spec.InputScale,
            width = spec.Cols * spec.PatchSize / spec.InputScale;
        for (int i = 0; i < Channels.Length; i++)
            (height, width) = (height / 2, width / 2);
        if (height < 1 || width < 1)
            throw new ArgumentException(
                $"A {spec.Rows * spec.PatchSize}x{spec.Cols * spec.PatchSize} region downscaled by "
                    + $"{spec.InputScale} is too small for the CNN's "
                    + $"{Channels.Length} poolings (it needs at least {32 * spec.InputScale} px a side); use a "
                    + "larger crop or a smaller input scale."
            );
        return (height, width);
    }

    /// <summary>Stitches the bag back into the analysed region: 1 × 3 × H × W, downscaled by the input scale.</summary>
    public Tensor Image(Tensor bag, BagLayout layout)
    {
        if (layout.Stride != layout.PatchSize)
            throw new ArgumentException(
                "The CNN baseline needs patches that tile the image (stride = patch size), got stride "
                    + $"{layout.Stride} with {layout.PatchSize}px patches."
            );
        if (layout.Rows != Spec.Rows || layout.Columns != Spec.Cols)
            throw new ArgumentException(
                $"The CNN baseline was trained on a {Spec.Rows}x{Spec.Cols} patch grid but got "
                    + $"{layout.Rows}x{layout.Columns}; "
                    + "score it with the crop it was trained with."
            );
        int p = layout.PatchSize;
        var image = bag.view(layout.Rows, layout.Columns, 3, p, p)
            .permute(2, 0, 3, 1, 4)
            .reshape(1, 3, layout.Rows * p, layout.Columns * p);
        return Spec.InputScale > 1 ? F.avg_pool2d(image, Spec.InputScale) : image;
    }

    /// <summary>Last conv block's activations (1 × K × h × w) and the logits (1 × C).</summary>
    public (Tensor Activations, Tensor Logits) Run(Tensor image)
    {
        using var input = Kernels.CpuKernels.ForConvolution(image);
        var activations = features.forward(input);
        using var flat = activations.flatten(1);
        using var a = dropout1.forward(flat);
        using var b = hidden.forward(a);
        using var c = LeakyRelu.Apply(b);
        using var d = dropout2.forward(c);
        return (activations, output.forward(d));
    }

    public override Tensor Logits(Tensor bag, BagLayout layout)
    {
        using var image = Image(bag, layout);
        var (activations, logits) = Run(image);
        activations.Dispose();
        return logits;
    }

    public override (float[] Probabilities, float[] Map) Explain(Tensor bag, BagLayout layout)
    {
        using var scope = NewDisposeScope();
        using var _ = enable_grad();
        var (activations, logits) = Run(Image(bag, layout));
        var probabilities = softmax(logits.detach(), 1).squeeze(0).cpu().data<float>().ToArray();
        int predicted = Scoring.BagScorer.ArgMax(probabilities);
        var cam = GradCam.Compute(activations, logits[0, predicted]);
        var map = GradCam.ToPatchGrid(
            cam,
            layout.Rows * layout.PatchSize,
            layout.Columns * layout.PatchSize,
            layout.PatchSize
        );
        return (probabilities, map.cpu().data<float>().ToArray());
    }
}
