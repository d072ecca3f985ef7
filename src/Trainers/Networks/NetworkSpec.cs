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

    /// <summary>The saved id of the head that turns instances into the prediction
    /// (<see cref="Trainers.Head.SavedId"/>).</summary>
    public int Head { get; init; }

    /// <summary>CLAM: patches taken from each end of the attention ranking for the instance loss (k).</summary>
    public int InstanceSamples { get; init; }

    /// <summary>Additive MIL: hidden units of the per-patch classifier ψ (Javed et al.'s small MLP); 0 = one linear
    /// layer, which is also what a saved spec without this field decodes to.</summary>
    public int ClassifierHidden { get; init; }

    /// <summary>Temperature scaling (Guo et al. 2017): scored probabilities are softmax(logits / T), T fitted on the
    /// validation split after training; 1 leaves them as trained. Training itself never uses it.</summary>
    public float Temperature { get; init; } = 1;

    /// <summary>The first value of a keyed encoding; a positional one starts with the patch size, never
    /// negative.</summary>
    private const float KeyedMarker = -1;

    /// <summary>Every field by its saved name, in the order the positional formats (state versions 1–5) wrote them;
    /// the first five have no default (every format has them).</summary>
    private static readonly (string Name, float? Default)[] Fields =
    [
        ("patch_size", null),
        ("embedding_size", null),
        ("attention_size", null),
        ("gated", null),
        ("classes", null),
        ("architecture", 0),
        ("rows", 0),
        ("cols", 0),
        ("input_scale", 1),
        ("feature_size", 0),
        ("dropout_percent", 0),
        ("head", 0),
        ("instance_samples", 0),
        ("classifier_hidden", 0),
        ("temperature", 1),
    ];

    /// <summary>A field's key in the keyed encoding: 24 bits of its name's FNV-1a hash, exact as a float.</summary>
    internal static int Key(string name)
    {
        uint h = 2166136261;
        foreach (char c in name)
            h = (h ^ c) * 16777619;
        return (int)(h & 0xFFFFFF);
    }

    private float[] Values() =>
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
            Head,
            InstanceSamples,
            ClassifierHidden,
            Temperature,
        ];

    /// <summary>The spec by key: [marker, count, key₁, value₁, …]. Order does not matter, a field a later version
    /// adds is one more pair, and a reader that lacks one takes its default. The temperature is written only when it
    /// is not 1, so an uncalibrated model stays readable by versions that predate it.</summary>
    public float[] Encode()
    {
        var values = Values();
        var written = Enumerable
            .Range(0, Fields.Length)
            .Where(i => Fields[i].Name != "temperature" || values[i] != 1)
            .ToList();
        var encoded = new float[2 + 2 * written.Count];
        encoded[0] = KeyedMarker;
        encoded[1] = written.Count;
        for (int j = 0; j < written.Count; j++)
        {
            encoded[2 + 2 * j] = Key(Fields[written[j]].Name);
            encoded[3 + 2 * j] = values[written[j]];
        }
        return encoded;
    }

    /// <summary>How many values the spec at the start of <paramref name="encoded"/> takes: a keyed spec says so; a
    /// positional one is given by its format (<paramref name="positionalLength"/>).</summary>
    public static int Length(ReadOnlySpan<float> encoded, int positionalLength) =>
        encoded.Length >= 2 && encoded[0] == KeyedMarker ? 2 + 2 * (int)encoded[1] : positionalLength;

    /// <summary>A spec from its keyed encoding, or from a positional one of 5 to 14 values (older files: the fields
    /// they lack take their defaults).</summary>
    /// <exception cref="InvalidDataException">A field is missing or unknown (a damaged file, or one from a newer
    /// version).</exception>
    public static NetworkSpec Decode(ReadOnlySpan<float> v)
    {
        var byName = new Dictionary<string, float>(StringComparer.Ordinal);
        if (v.Length >= 2 && v[0] == KeyedMarker)
        {
            int count = (int)v[1];
            if (count < 0 || v.Length < 2 + 2 * count)
                throw new InvalidDataException("The saved network spec is truncated.");
            var names = Fields.ToDictionary(f => Key(f.Name), f => f.Name);
            for (int i = 0; i < count; i++)
            {
                int key = (int)v[2 + 2 * i];
                if (!names.TryGetValue(key, out var name))
                    throw new InvalidDataException(
                        $"The saved network has a setting (key {key}) this version does not know; the model is from "
                            + "a newer version of Amil.MLNet."
                    );
                byName[name] = v[3 + 2 * i];
            }
        }
        else
            for (int i = 0; i < Math.Min(v.Length, Fields.Length); i++)
                byName[Fields[i].Name] = v[i];
        var values = new float[Fields.Length];
        for (int i = 0; i < Fields.Length; i++)
            values[i] = byName.TryGetValue(Fields[i].Name, out var value)
                ? value
                : Fields[i].Default
                    ?? throw new InvalidDataException($"The saved network spec lacks '{Fields[i].Name}'.");
        return FromValues(values);
    }

    private static NetworkSpec FromValues(float[] v) =>
        new((int)v[0], (int)v[1], (int)v[2], v[3] != 0, (int)v[4])
        {
            Architecture = (NetworkArchitecture)(int)v[5],
            Rows = (int)v[6],
            Cols = (int)v[7],
            InputScale = (int)v[8],
            FeatureSize = (int)v[9],
            DropoutPercent = (int)v[10],
            Head = (int)v[11],
            InstanceSamples = (int)v[12],
            ClassifierHidden = (int)v[13],
            Temperature = v[14],
        };
}
