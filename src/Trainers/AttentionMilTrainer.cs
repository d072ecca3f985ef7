using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Trainers.Scoring;
using Amil.MLNet.Trainers.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace Amil.MLNet.Trainers;

/// <summary>
/// Attention-based multiple instance learning (Ilse et al. 2018) on bags of patches or of patch features, trained with
/// TorchSharp. Reach it as <c>ml.MulticlassClassification.Trainers.AttentionMil(...)</c>.
/// </summary>
public sealed class AttentionMilTrainer : ITrainerEstimator<AttentionMilTransformer, AttentionMilModelParameters>
{
    /// <summary>No normalisation, calibration or caching wanted (bags are decoded lazily); a validation set is
    /// supported.</summary>
    public TrainerInfo Info { get; } = CreateInfo();

    // TrainerInfo's constructor is internal to ML.NET; its parameters are (normalization, calibration, caching,
    // supportValid, supportIncrementalTrain, supportTest).
    private static TrainerInfo CreateInfo()
    {
        var constructor = typeof(TrainerInfo)
            .GetConstructors(
                System.Reflection.BindingFlags.Instance
                    | System.Reflection.BindingFlags.NonPublic
                    | System.Reflection.BindingFlags.Public
            )
            .FirstOrDefault(c => c.GetParameters().Length == 6);
        return constructor?.Invoke([false, false, false, true, false, false]) as TrainerInfo
            ?? throw new InvalidOperationException(
                $"This ML.NET ({typeof(TrainerInfo).Assembly.GetName().Version}) has no TrainerInfo constructor of "
                    + "six flags; Amil.MLNet is built for ML.NET 5.0: reference that version."
            );
    }

    private readonly MLContext _ml;
    private readonly AttentionMilOptions _options;
    private readonly Microsoft.ML.Runtime.IHost? _host;
    private readonly TrainingControl _control;

    internal AttentionMilTrainer(
        MLContext ml,
        AttentionMilOptions options,
        Microsoft.ML.Runtime.IHost? host,
        TrainingControl? control = null
    )
    {
        _ml = ml ?? throw new ArgumentNullException(nameof(ml));
        options.Validate();
        _options = options;
        _host = host;
        _control = control ?? TrainingControl.None;
    }

    /// <summary>The same trainer, reporting, stopping and resuming as <paramref name="control"/> says (checkpoints,
    /// callbacks, cancellation); usable in a pipeline like any estimator.</summary>
    public AttentionMilTrainer WithControl(TrainingControl control)
    {
        ArgumentNullException.ThrowIfNull(control);
        return new AttentionMilTrainer(_ml, _options, _host, control);
    }

    /// <summary>Trains, holding out <see cref="AttentionMilOptions.ValidationFraction"/> of <paramref name="input"/> to
    /// pick the best epoch.</summary>
    public AttentionMilTransformer Fit(IDataView input) => Fit(input, null);

    /// <summary>Trains on <paramref name="trainData"/>, picking the best epoch on <paramref name="validationData"/>
    /// when given.</summary>
    public AttentionMilTransformer Fit(IDataView trainData, IDataView? validationData) =>
        UnwrappingDataView.Guard(() => Train(trainData, validationData));

    private AttentionMilTransformer Train(IDataView trainData, IDataView? validationData)
    {
        var reader = new BagReader(
            trainData,
            _options.BagColumnName,
            _options.LabelColumnName,
            _options.GroupColumnName
        );
        var rows = reader.ListRows();
        if (rows.Count == 0)
            throw new ArgumentException("The training data has no rows.");
        var (trainRows, validationReader, validationRows) = Split(reader, rows, validationData);

        var first = reader.First();
        var architecture = ArchitectureFor(first.Layout, first.Pixels.Length);
        var spec = Spec(architecture, first.Layout, first.Pixels.Length, reader.ClassCount);
        var classWeights = ClassWeights(rows.Where(r => trainRows.Contains(r.RowId)).ToList(), reader.ClassCount);
        using var log = _host is null ? null : new ContextLog(_host.Start("Training"));
        var result = new TrainingLoop(_options, _control, log).Run(
            reader,
            spec,
            trainRows,
            validationReader,
            validationRows,
            classWeights
        );

        var state = NetworkState.Encode(result.Spec, result.Weights);
        var taken = trainData.Schema.Select(c => c.Name);
        var scoring = ScoringChain
            .Build(_ml, _options.BagColumnName, state, reader.ClassNames, spec.Map(), taken)
            .Fit(trainData);
        var model = new AttentionMilModelParameters(
            reader.ClassNames,
            architecture,
            result.History,
            result.BestEpoch,
            result.Spec.Temperature
        );
        return new AttentionMilTransformer(
            scoring,
            model,
            _options.BagColumnName,
            trainData.Schema[_options.BagColumnName].Type
        );
    }

    /// <summary>The rows that train and the rows that pick the best epoch: the validation data when given, else
    /// <see cref="AttentionMilOptions.ValidationFraction"/> of the training rows held out (none: no validation).
    /// </summary>
    private (HashSet<DataViewRowId> Train, BagReader? ValidationReader, IReadOnlySet<DataViewRowId>? Validation) Split(
        BagReader reader,
        IReadOnlyList<RowInfo> rows,
        IDataView? validationData
    )
    {
        if (validationData is not null)
        {
            var validationReader = new BagReader(
                validationData,
                _options.BagColumnName,
                _options.LabelColumnName,
                null
            );
            if (validationReader.ClassCount != reader.ClassCount)
                throw new ArgumentException(
                    $"Validation labels have {validationReader.ClassCount} classes but training labels have "
                        + $"{reader.ClassCount}; map both with the same key mapping."
                );
            // ids only: no image is decoded
            var validationRows = validationReader.ListRows().Select(r => r.RowId).ToHashSet();
            return (rows.Select(r => r.RowId).ToHashSet(), validationReader, validationRows);
        }
        var held = ValidationSplit.Choose(rows, _options.ValidationFraction, _options.EffectiveSeed);
        var trainRows = rows.Select(r => r.RowId).Where(id => !held.Contains(id)).ToHashSet();
        return held.Count > 0 ? (trainRows, reader, held) : (trainRows, null, null);
    }

    /// <summary>Patch bags hold 3·P² values a patch, feature bags a feature vector: the bag itself says which network
    /// fits.</summary>
    private NetworkArchitecture ArchitectureFor(Transforms.Bagging.BagLayout layout, int bagLength) =>
        _options.Architecture == NetworkArchitecture.AttentionMil && bagLength != layout.Count * layout.PatchLength
            ? NetworkArchitecture.FeatureAttentionMil
            : _options.Architecture;

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        if (!inputSchema.Any(c => c.Name == _options.BagColumnName))
            throw new ArgumentException(
                $"Attention-MIL needs the bag column '{_options.BagColumnName}'; add ml.Transforms.BagPatches "
                    + "before the trainer."
            );
        var label = inputSchema.FirstOrDefault(c => c.Name == _options.LabelColumnName);
        if (label.Name is null || !label.IsKey)
            throw new ArgumentException(
                $"Attention-MIL needs a key-typed label column '{_options.LabelColumnName}'; add "
                    + $"ml.Transforms.Conversion.MapValueToKey(\"{_options.LabelColumnName}\")."
            );
        // The scoring stages do not depend on the trained values, so a placeholder state shows the real output schema.
        var placeholder = NetworkState.Encode(
            new NetworkSpec(28, 1, 1, false, 2) { Architecture = _options.Architecture },
            [0f]
        );
        return ScoringChain
            .Build(
                _ml,
                _options.BagColumnName,
                placeholder,
                ["0", "1"],
                Heads.Of(_options.Architecture, _options.Pooling).Map,
                inputSchema.Select(c => c.Name)
            )
            .GetOutputSchema(inputSchema);
    }

    private float[] ClassWeights(IReadOnlyList<RowInfo> trainRows, int classCount)
    {
        if (_options.ClassWeights is { } explicitWeights)
        {
            if (explicitWeights.Length != classCount)
                throw new ArgumentException(
                    $"ClassWeights has {explicitWeights.Length} values but the label has {classCount} classes."
                );
            return explicitWeights;
        }
        var weights = Enumerable.Repeat(1f, classCount).ToArray();
        if (!_options.BalanceClasses)
            return weights;
        for (int c = 0; c < classCount; c++)
        {
            int n = trainRows.Count(r => r.ClassIndex == c);
            weights[c] = n == 0 ? 1f : (float)trainRows.Count / (classCount * n);
        }
        return weights;
    }

    private NetworkSpec Spec(
        NetworkArchitecture architecture,
        Transforms.Bagging.BagLayout layout,
        int bagLength,
        int classes
    )
    {
        if (architecture == NetworkArchitecture.CnnBaseline && _options.Pooling != Heads.Attention)
            throw new ArgumentException(
                $"The CNN baseline has no MIL pooling; {_options.Pooling.Name} pooling applies to Attention-MIL only."
            );
        var blank = new NetworkSpec(layout.PatchSize, _options.EmbeddingSize, _options.AttentionSize, false, classes)
        {
            Architecture = architecture,
            InputScale = 1,
        };
        var spec = Heads.Of(architecture, _options.Pooling).Configure(blank, _options);
        if (architecture == NetworkArchitecture.FeatureAttentionMil)
        {
            if (bagLength % layout.Count != 0)
                throw new ArgumentException(
                    $"Feature bags must hold the same number of features per patch; got {bagLength} values for "
                        + $"{layout.Count} patches."
                );
            return spec with
            {
                FeatureSize = bagLength / layout.Count,
                DropoutPercent = (int)Math.Round(_options.FeatureDropout * 100),
            };
        }
        if (architecture != NetworkArchitecture.CnnBaseline)
            return spec;
        if (layout.Stride != layout.PatchSize)
            throw new ArgumentException(
                "The CNN baseline stitches the patches back into the image, so they must tile it: use stride = "
                    + $"patch size (got stride {layout.Stride}, patch {layout.PatchSize})."
            );
        spec = spec with { Rows = layout.Rows, Cols = layout.Columns, InputScale = _options.CnnInputScale };
        BaselineCnn.FeatureSize(spec); // fails early, with the reason, when the image is too small for five poolings
        return spec;
    }
}
