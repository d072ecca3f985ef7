using Microsoft.ML;
using Microsoft.ML.Data;

namespace Amil.MLNet.Trainers;

/// <summary>One scored image: prediction, probabilities, and the localization map (one value per patch, grid order)
/// with the grid that places it on the image.</summary>
/// <param name="MapKind">Attention (Attention-MIL) or Grad-CAM (the CNN baseline).</param>
public sealed record ScoredImage(
    string Path,
    int PredictedIndex,
    float[] Probabilities,
    float[] Map,
    int[] Coordinates,
    Transforms.Bagging.BagLayout Layout,
    MapKind MapKind
)
{
    public int PatchSize => Layout.PatchSize;

    /// <summary>The resize and padding the patch coordinates refer to; null for models saved before frames were
    /// recorded (no resize).</summary>
    public Transforms.Bagging.ImageFrame? Frame { get; init; }

    /// <summary>Class-aware models (additive, CLAM): every class's map, class-major (C × N); null otherwise.</summary>
    public float[]? ClassMaps { get; init; }

    /// <summary>The map of class <paramref name="classIndex"/> (for class-aware models), or the model's own
    /// map.</summary>
    public float[] MapOf(int classIndex) =>
        ClassMaps is null ? Map : ClassMaps.AsSpan(classIndex * Map.Length, Map.Length).ToArray();

    /// <summary>The image as the model saw it (resized and padded like the bag), so maps drawn on it land on the right
    /// pixels.</summary>
    public Transforms.Images.RgbImage Prepare(Transforms.Images.RgbImage image) => Frame?.Apply(image) ?? image;
}

/// <summary>A saved model.zip (image path → bag → Attention-MIL or the CNN baseline) loaded for scoring: the one
/// call an app needs to score images and get their maps, for every model kind. Wraps <c>ml.Model.Load</c> with an
/// integrity check (zip CRCs, network checksum) and clear errors for files that are not Amil.MLNet models.</summary>
public sealed class AmilModel
{
    private readonly MLContext _ml;
    private readonly ITransformer _model;

    public AmilModel(MLContext ml, ITransformer model)
    {
        _ml = ml;
        _model = model;
        var schema = model.GetOutputSchema(SchemaDefinitionFor<ImageInput>(ml));
        foreach (var required in new[] { "Score", "PredictedLabel", "BagCoordinates", "BagLayout" })
            if (schema.GetColumnOrNull(required) is null)
                throw new InvalidDataException(
                    $"The model has no '{required}' output; it is not an Amil.MLNet image model (image path → "
                        + $"BagPatches → AttentionMil)."
                );
        var kinds = Enum.GetValues<MapKind>().Where(k => schema.GetColumnOrNull(k.ColumnName()) is not null).ToList();
        MapKind =
            kinds.Count > 0
                ? kinds[0]
                : throw new InvalidDataException(
                    "The model has no map output (Attention, GradCam, Contribution or ClassAttention); "
                        + "it is not an Amil.MLNet image model."
                );
        VBuffer<ReadOnlyMemory<char>> names = default;
        schema["PredictedLabel"].GetKeyValues(ref names);
        ClassNames = names.DenseValues().Select(n => n.ToString()).ToArray();
    }

    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The model's map: attention (attention or gated pooling, on patches or features), contribution
    /// (additive MIL), class attention (CLAM) or Grad-CAM (the CNN baseline).</summary>
    public MapKind MapKind { get; }
    public ITransformer Transformer => _model;

    /// <summary>Where every loaded model scores from now on, in this process (networks are built once per process
    /// and device). Default: the CPU. Model files are the same whatever the device.</summary>
    /// <exception cref="DeviceUnavailableException">CUDA is asked for and the libtorch in use has none.</exception>
    public static void UseDevice(ComputeDevice device) => Scoring.NetworkCache.Device = device;

    /// <summary>The device loaded models score on (see <see cref="UseDevice"/>).</summary>
    public static ComputeDevice ScoringDevice => Scoring.NetworkCache.Device;

    /// <summary>Any model.zip of ours, image or slide-level, as ML.NET loads it: integrity checked (zip CRCs,
    /// network checksum), our components registered, and a clear error for files that are no ML.NET model.</summary>
    /// <param name="ml">The context it was loaded with (score with this one).</param>
    /// <param name="inputSchema">The columns it was trained on.</param>
    public static ITransformer LoadTransformer(string path, out MLContext ml, out DataViewSchema inputSchema)
    {
        Transforms.Persistence.ModelFileCheck.Verify(path);
        ml = new MLContext(seed: 1).RegisterAmilComponents();
        try
        {
            return ml.Model.Load(path, out inputSchema);
        }
        catch (Exception e)
            when (e
                    is InvalidOperationException
                        or FormatException
                        or System.IO.InvalidDataException
                        or ArgumentException
                        or IOException
            )
        {
            throw new InvalidDataException(
                $"{path}: not a readable ML.NET model ({e.Message.Split('\n')[0]}); pass the model.zip written by "
                    + $"train.",
                e
            );
        }
    }

    /// <exception cref="SlideLevelModelException">The file holds a slide-level model: tools that take both kinds
    /// catch it and score slides instead, so an image model is loaded once.</exception>
    public static AmilModel Load(string path)
    {
        var model = LoadTransformer(path, out var ml, out var input);
        // A slide-level model was trained on rows of tile features, an image model on image paths.
        if (
            input?.GetColumnOrNull(nameof(ImageInput.ImagePath)) is null
            && input?.GetColumnOrNull("Features") is not null
        )
            throw new SlideLevelModelException(path);
        try
        {
            return new AmilModel(ml, model);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidDataException)
        {
            // Another pipeline's model asks for its own input columns ("Could not find input column 'X'").
            throw new InvalidDataException(
                $"{path}: not an Amil.MLNet model ({e.Message.Split('\n')[0].Split(" (Parameter")[0]}). "
                    + "Pass a model.zip written by amil train, or saved from a pipeline that starts with "
                    + "ml.Transforms.BagPatches() on an ImagePath column.",
                e
            );
        }
    }

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        Transforms.AtomicFile.Write(path, temp => _ml.Model.Save(_model, SchemaDefinitionFor<ImageInput>(_ml), temp));
    }

    /// <summary>Scores images lazily, one at a time, in order.</summary>
    public IEnumerable<ScoredImage> Score(IEnumerable<string> imagePaths)
    {
        var data = _ml.Data.LoadFromEnumerable(imagePaths.Select(p => new ImageInput { ImagePath = p }));
        var scored = _model.Transform(data);
        scored = _ml.Transforms.CopyColumns(nameof(ScoredRow.Map), MapKind.ColumnName()).Fit(scored).Transform(scored);
        bool hasFrame = scored.Schema.GetColumnOrNull("BagFrame") is not null;
        if (!hasFrame)
            // placeholder, ignored
            scored = _ml.Transforms.CopyColumns("BagFrame", "BagLayout").Fit(scored).Transform(scored);
        bool hasClassMaps = scored.Schema.GetColumnOrNull(Scoring.ScoringChain.ClassMapsColumn) is not null;
        if (!hasClassMaps) // placeholder, ignored
            scored = _ml
                .Transforms.CopyColumns(Scoring.ScoringChain.ClassMapsColumn, nameof(ScoredRow.Map))
                .Fit(scored)
                .Transform(scored);
        foreach (var row in _ml.Data.CreateEnumerable<ScoredRow>(scored, reuseRowObject: false))
        {
            var layout = Transforms.Bagging.BagLayout.Decode(row.BagLayout);
            yield return NonFiniteScoreException.Checked(
                new ScoredImage(
                    row.ImagePath,
                    (int)row.PredictedLabel - 1,
                    row.Score,
                    row.Map,
                    row.BagCoordinates,
                    layout,
                    MapKind
                )
                {
                    Frame = hasFrame ? Transforms.Bagging.ImageFrame.Decode(row.BagFrame) : null,
                    ClassMaps = hasClassMaps && row.ClassMaps.Length > 0 ? row.ClassMaps : null,
                }
            );
        }
    }

    private static DataViewSchema SchemaDefinitionFor<T>(MLContext ml)
        where T : class => ml.Data.LoadFromEnumerable(Array.Empty<T>()).Schema;

    private sealed class ScoredRow
    {
        public string ImagePath { get; set; } = "";
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
        public float[] Map { get; set; } = [];
        public int[] BagCoordinates { get; set; } = [];
        public int[] BagLayout { get; set; } = [];
        public int[] BagFrame { get; set; } = [];
        public float[] ClassMaps { get; set; } = [];
    }
}

/// <summary>The scoring input of a saved model: the image path (and an empty label).</summary>
public sealed class ImageInput
{
    public string ImagePath { get; set; } = "";

    /// <summary>Empty: models saved with their label mapping (MapValueToKey("Label") first) ask for the column, and
    /// an unknown label scores like any other row.</summary>
    public string Label { get; set; } = "";
}
