using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>Bag of patches → LeNet encoder → attention pooling → linear head over the classes.</summary>
internal sealed class AttentionMilNetwork : AttentionBagNetwork
{
    private readonly LeNetPatchEncoder encoder;
    private readonly AttentionPooling pooling;
    private readonly Linear classifier;

    public AttentionMilNetwork(NetworkSpec spec)
        : base(nameof(AttentionMilNetwork), spec)
    {
        encoder = new LeNetPatchEncoder(spec.PatchSize, spec.EmbeddingSize);
        pooling = new AttentionPooling(spec.EmbeddingSize, spec.AttentionSize, spec.Gated);
        classifier = Linear(spec.EmbeddingSize, spec.Classes);
        RegisterComponents();
    }

    protected override Tensor Encode(Tensor bag) => encoder.forward(bag);

    protected override AttentionPooling Pooling => pooling;

    protected override Linear Classifier => classifier;
}
