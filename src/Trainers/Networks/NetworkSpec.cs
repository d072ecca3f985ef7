namespace Amil.MLNet.Trainers.Networks;

/// <summary>Which network a model holds.</summary>
public enum NetworkArchitecture
{
    /// <summary>Attention-MIL: LeNet patch encoder, attention pooling, linear head; its map is the attention
    /// weights.</summary>
    AttentionMil = 0,

    /// <summary>The whole-image CNN baseline (the reference "my_network"); its map is Grad-CAM for the predicted
    /// class.</summary>
    CnnBaseline = 1,

    /// <summary>Attention-MIL on precomputed patch features (e.g. frozen ResNet18): FC + ReLU + dropout, attention
    /// pooling, linear head.</summary>
    FeatureAttentionMil = 2,
}

/// <summary>How a MIL network turns its instances into a bag prediction and a map.</summary>
internal enum MilHead
{
    /// <summary>Attention pooling (tanh, or gated) and one linear classifier; the map is the attention.</summary>
    Attention = 0,

    /// <summary>Additive MIL (Javed et al. 2022): the classifier scores each attention-scaled instance and the bag
    /// logits are their sum plus a bias, so each patch's contribution to each class is exact; the map is the
    /// contribution to the predicted class (signed).</summary>
    Additive = 1,

    /// <summary>CLAM multi-branch (Lu et al. 2021): one gated attention branch, pooled vector and classifier per class,
    /// trained with an instance-level loss on the top-k / bottom-k attended patches; the map is the predicted class's
    /// attention branch.</summary>
    Clam = 2,

    /// <summary>DSMIL (Li et al. 2021): a max-pooled instance classifier plus attention from each patch's similarity
    /// to the critical (highest-scoring) instance; the map is the instance scores.</summary>
    Dsmil = 3,

    /// <summary>TransMIL (Shao et al. 2021): two Nyström self-attention layers with a pyramid position encoding over a
    /// class token and the instances; the map is the class token's attention.</summary>
    TransMil = 4,
}

/// <summary>Everything needed to rebuild a <see cref="BagNetwork"/> before loading its weights.</summary>
/// <remarks>Rows, Cols and InputScale describe the CNN baseline's fixed input grid (rows × cols patches, downscaled by
/// InputScale); they are 0, 0, 1 for Attention-MIL, which takes bags of any size.</remarks>
internal readonly record struct NetworkSpec(
    int PatchSize,
    int EmbeddingSize,
    int AttentionSize,
    bool Gated,
    int Classes
)
{
    public NetworkArchitecture Architecture { get; init; }
    public int Rows { get; init; }
    public int Cols { get; init; }
    public int InputScale { get; init; }

    /// <summary>Features per patch (feature mode; 0 otherwise).</summary>
    public int FeatureSize { get; init; }

    /// <summary>Dropout after the feature projection, in percent (feature mode; inactive when scoring).</summary>
    public int DropoutPercent { get; init; }

    /// <summary>How instances become the prediction (attention pooling, additive, CLAM).</summary>
    public MilHead Head { get; init; }

    /// <summary>CLAM: patches taken from each end of the attention ranking for the instance loss (k).</summary>
    public int InstanceSamples { get; init; }

    /// <summary>Additive MIL: hidden units of the per-patch classifier ψ (Javed et al.'s small MLP); 0 = one linear
    /// layer, which is also what a saved spec without this field decodes to.</summary>
    public int ClassifierHidden { get; init; }

    public const int EncodedLength = 14;

    /// <summary>Values of the fields that older saved specs lack, in encoding order
    /// (Architecture…ClassifierHidden).</summary>
    internal static readonly float[] LaterFieldDefaults = [0, 0, 0, 1, 0, 0, 0, 0, 0];

    public float[] Encode() =>
        [
            PatchSize,
            EmbeddingSize,
            AttentionSize,
            Gated ? 1 : 0,
            Classes,
            (int)Architecture,
            Rows,
            Cols,
            InputScale,
            FeatureSize,
            DropoutPercent,
            (int)Head,
            InstanceSamples,
            ClassifierHidden,
        ];

    public static NetworkSpec Decode(ReadOnlySpan<float> v) =>
        new((int)v[0], (int)v[1], (int)v[2], v[3] != 0, (int)v[4])
        {
            Architecture = (NetworkArchitecture)(int)v[5],
            Rows = (int)v[6],
            Cols = (int)v[7],
            InputScale = (int)v[8],
            FeatureSize = (int)v[9],
            DropoutPercent = (int)v[10],
            Head = (MilHead)(int)v[11],
            InstanceSamples = (int)v[12],
            ClassifierHidden = (int)v[13],
        };
}
