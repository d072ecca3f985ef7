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
    /// <summary>A patch's (or tile's) side in the pixels of <see cref="Coordinates"/>.</summary>
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

/// <summary>A saved model.zip loaded for scoring: images (image path → bag → Attention-MIL or the CNN baseline) or
/// whole slides (slide path → tissue tiles' features → Attention-MIL). The one call an app needs to score images or
/// slides and get their maps, for every model kind. Wraps <c>ml.Model.Load</c> with an integrity check (zip CRCs,
/// network checksum) and clear errors for files that are not Amil.MLNet models.</summary>
public sealed class AmilModel
{
    private const string PathColumn = "__AmilScoredPath",
        CoordinatesColumn = "__AmilScoredCoordinates",
        LayoutColumn = "__AmilScoredLayout",
        FrameColumn = "__AmilScoredFrame",
        MapColumn = "__AmilScoredMap",
        ClassMapsColumn = "__AmilScoredClassMaps";

    private readonly MLContext _ml;
    private readonly ITransformer _model;
    private readonly bool _hasFrame,
        _hasClassMaps;

    /// <summary>A fitted pipeline as a scoring model.</summary>
    /// <param name="ml">The context it was built or loaded with.</param>
    /// <param name="model">Image path → BagPatches → … → AttentionMil (or the CNN baseline), or slide path →
    /// TileSlides → AttentionMil, with the default column names.</param>
    /// <param name="input">What the pipeline reads. Default: images.</param>
    /// <exception cref="InvalidDataException">The pipeline lacks an output a model of this kind has.</exception>
    public AmilModel(MLContext ml, ITransformer model, ModelInput input = ModelInput.Images)
    {
        _ml = ml;
        _model = model;
        Input = input;
        var schema = model.GetOutputSchema(EmptyInput(ml, input).Schema);
        string bag = input.BagColumn();
        string pipeline =
            input == ModelInput.Slides
                ? "slide path → TileSlides → AttentionMil"
                : "image path → BagPatches → AttentionMil";
        foreach (var required in new[] { "Score", "PredictedLabel", bag + "Coordinates", bag + "Layout" })
            if (schema.GetColumnOrNull(required) is null)
                throw new InvalidDataException(
                    $"The model has no '{required}' output; it is not an Amil.MLNet {input.Noun()} model ({pipeline})."
                );
        var kinds = Enum.GetValues<MapKind>().Where(k => schema.GetColumnOrNull(k.ColumnName()) is not null).ToList();
        MapKind =
            kinds.Count > 0
                ? kinds[0]
                : throw new InvalidDataException(
                    "The model has no map output (Attention, GradCam, Contribution or ClassAttention); "
                        + "it is not an Amil.MLNet model."
                );
        VBuffer<ReadOnlyMemory<char>> names = default;
        schema["PredictedLabel"].GetKeyValues(ref names);
        ClassNames = names.DenseValues().Select(n => n.ToString()).ToArray();
        _hasFrame = schema.GetColumnOrNull(bag + "Frame") is not null;
        _hasClassMaps = schema.GetColumnOrNull(Scoring.ScoringChain.ClassMapsColumn) is not null;
    }

    /// <summary>Whether the model scores images or whole slides.</summary>
    public ModelInput Input { get; }

    /// <summary>The class names, in the order of <see cref="ScoredImage.Probabilities"/>.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The model's map: attention (attention, gated or TransMIL pooling, on patches or features),
    /// contribution (additive MIL), class attention (CLAM), instance score (DSMIL) or Grad-CAM (the CNN
    /// baseline).</summary>
    public MapKind MapKind { get; }

    /// <summary>The ML.NET pipeline, for use in other ML.NET code.</summary>
    public ITransformer Transformer => _model;

    /// <summary>Where this model's networks score (built once per process and device). Default: the CPU. Model
    /// files are the same whatever the device.</summary>
    public ComputeDevice Device { get; private init; } = ComputeDevice.Cpu;

    /// <summary>The same model, scoring on <paramref name="device"/>; this one is unchanged.</summary>
    /// <exception cref="DeviceUnavailableException">CUDA is asked for and the libtorch in use has none.</exception>
    public AmilModel OnDevice(ComputeDevice device)
    {
        device.Resolve();
        return new AmilModel(_ml, _model, Input) { Device = device, FeatureCache = FeatureCache };
    }

    /// <summary>Slide models: the folder this model reads and writes its slides' tile features in. Null (the
    /// default): <c>SlideFeatures.CacheFolder</c> of the caller. Not saved: a model moves between machines
    /// unchanged.</summary>
    public string? FeatureCache { get; private init; }

    /// <summary>The same model, reading and writing slide features in <paramref name="folder"/> (null: the caller's
    /// <c>SlideFeatures.CacheFolder</c>); this one is unchanged. Image models do not use it.</summary>
    public AmilModel WithFeatureCache(string? folder) =>
        new(_ml, _model, Input) { Device = Device, FeatureCache = folder is null ? null : Path.GetFullPath(folder) };

    /// <summary>Any model.zip of ours as ML.NET loads it: integrity checked (zip CRCs, network checksum), our
    /// components registered, and a clear error for files that are no ML.NET model.</summary>
    /// <param name="ml">The context it was loaded with (score with this one).</param>
    /// <param name="inputSchema">The columns it was trained on.</param>
    internal static ITransformer LoadTransformer(string path, out MLContext ml, out DataViewSchema inputSchema)
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
                    + "train.",
                e
            );
        }
    }

    /// <summary>Loads a model.zip of images or of slides; <see cref="Input"/> says which.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">A damaged file, or one that holds no Amil.MLNet model.</exception>
    public static AmilModel Load(string path)
    {
        var model = LoadTransformer(path, out var ml, out var saved);
        // The saved input schema says what the model reads: image paths, slide paths, or (slide models saved before
        // TileSlides existed) the slide's tile features, which the default tiling those models were trained on makes.
        var input = saved?.GetColumnOrNull(ModelInput.Slides.PathColumn()) is not null
            ? ModelInput.Slides
            : ModelInput.Images;
        if (input == ModelInput.Slides && saved!.GetColumnOrNull(ModelInput.Slides.BagColumn()) is not null)
            model = ml.Transforms.TileSlides().Fit(EmptyInput(ml, input)).Append(model);
        try
        {
            return new AmilModel(ml, model, input);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidDataException)
        {
            // Another pipeline's model asks for its own input columns ("Could not find input column 'X'").
            throw new InvalidDataException(
                $"{path}: not an Amil.MLNet model ({e.Message.Split('\n')[0].Split(" (Parameter")[0]}). "
                    + "Pass a model.zip written by amil train, or saved from a pipeline that starts with "
                    + "ml.Transforms.BagPatches() on an ImagePath column or ml.Transforms.TileSlides() on a SlidePath "
                    + "column.",
                e
            );
        }
    }

    /// <summary>Saves the model with its input schema (<see cref="ImageInput"/> or <see cref="SlideInput"/>),
    /// written beside and renamed over, so a failed save leaves no half-written file.</summary>
    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        Transforms.AtomicFile.Write(path, temp => _ml.Model.Save(_model, EmptyInput(_ml, Input).Schema, temp));
    }

    /// <summary>Scores images or slides (as <see cref="Input"/> says) lazily, one at a time, in order. For slides
    /// the map's coordinates are level-0 tile corners and the features come from the slide feature cache
    /// (<see cref="FeatureCache"/>, else <c>SlideFeatures.CacheFolder</c>), encoded first where missing.</summary>
    /// <exception cref="NonFiniteScoreException">Scoring gave a NaN or infinite value for an item.</exception>
    public IEnumerable<ScoredImage> Score(IEnumerable<string> paths)
    {
        var data =
            Input == ModelInput.Slides
                ? _ml.Data.LoadFromEnumerable(paths.Select(p => new SlideInput { SlidePath = p }))
                : _ml.Data.LoadFromEnumerable(paths.Select(p => new ImageInput { ImagePath = p }));
        string bag = Input.BagColumn();
        var copies = new (string Output, string Input)[]
        {
            (PathColumn, Input.PathColumn()),
            (MapColumn, MapKind.ColumnName()),
            (CoordinatesColumn, bag + "Coordinates"),
            (LayoutColumn, bag + "Layout"),
            // Absent outputs are filled with placeholders that are never read.
            (FrameColumn, _hasFrame ? bag + "Frame" : bag + "Layout"),
            (ClassMapsColumn, _hasClassMaps ? Scoring.ScoringChain.ClassMapsColumn : MapKind.ColumnName()),
        };
        var scored = _model.Transform(data);
        foreach (var (output, input) in copies)
            scored = _ml.Transforms.CopyColumns(output, input).Fit(scored).Transform(scored);
        // A slide's features take seconds to encode, so reading slides in parallel gains little and would run
        // TileSlides where the caller's feature cache and device are not set.
        if (Input == ModelInput.Slides)
            scored = new Scoring.SerialDataView(scored);
        using var rows = _ml.Data.CreateEnumerable<ScoredRow>(scored, reuseRowObject: false).GetEnumerator();
        while (Next(rows) is { } row)
            yield return NonFiniteScoreException.Checked(
                new ScoredImage(
                    row.Path,
                    (int)row.PredictedLabel - 1,
                    row.Score,
                    row.Map,
                    row.Coordinates,
                    Transforms.Bagging.BagLayout.Decode(row.Layout),
                    MapKind
                )
                {
                    Frame = _hasFrame ? Transforms.Bagging.ImageFrame.Decode(row.Frame) : null,
                    ClassMaps = _hasClassMaps && row.ClassMaps.Length > 0 ? row.ClassMaps : null,
                }
            );
    }

    /// <summary>The next row, scored on this model's device (network and frozen encoder) and, for slides, with its
    /// feature cache (all set around the step, so nothing of them outlives the call or reaches other
    /// callers).</summary>
    private ScoredRow? Next(IEnumerator<ScoredRow> rows)
    {
        using var _ = Scoring.NetworkCache.On(Device);
        using var encoders = Transforms.Encoders.EncoderExecution.OnCuda(
            Transforms.Encoders.EncoderExecution.BesideNetwork(Device.CudaIndex())
        );
        using var cache = FeatureCache is { } folder ? Slides.SlideFeatures.Use(folder) : null;
        return rows.MoveNext() ? rows.Current : null;
    }

    private static IDataView EmptyInput(MLContext ml, ModelInput input) =>
        input == ModelInput.Slides
            ? ml.Data.LoadFromEnumerable(Array.Empty<SlideInput>())
            : ml.Data.LoadFromEnumerable(Array.Empty<ImageInput>());

    private sealed class ScoredRow
    {
        [ColumnName(PathColumn)]
        public string Path { get; set; } = "";
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }

        [ColumnName(MapColumn)]
        public float[] Map { get; set; } = [];

        [ColumnName(CoordinatesColumn)]
        public int[] Coordinates { get; set; } = [];

        [ColumnName(LayoutColumn)]
        public int[] Layout { get; set; } = [];

        [ColumnName(FrameColumn)]
        public int[] Frame { get; set; } = [];

        [ColumnName(ClassMapsColumn)]
        public float[] ClassMaps { get; set; } = [];
    }
}

/// <summary>The scoring input of a saved image model: the image path (and an empty label).</summary>
public sealed class ImageInput
{
    /// <summary>The image file.</summary>
    public string ImagePath { get; set; } = "";

    /// <summary>Empty: models saved with their label mapping (MapValueToKey("Label") first) ask for the column, and
    /// an unknown label scores like any other row.</summary>
    public string Label { get; set; } = "";
}

/// <summary>The scoring input of a saved slide model: the slide path (and an empty label).</summary>
public sealed class SlideInput
{
    /// <summary>The slide file.</summary>
    public string SlidePath { get; set; } = "";

    /// <summary>Empty, as in <see cref="ImageInput.Label"/>.</summary>
    public string Label { get; set; } = "";
}
