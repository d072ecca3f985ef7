using Amil.MLNet.Application;
using Amil.MLNet.Trainers;
using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Transforms.Images;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>The library as an ML.NET user meets it: catalog methods, ML.NET's own image columns, seeds from the
/// MLContext, and errors that arrive as themselves.</summary>
public sealed class CatalogApiTests : IDisposable
{
    private readonly string _work = TestTemp.Folder("amil-api-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private List<ImageRow> Rows(int perClass = 3, int width = 112, int height = 84) =>
        TestImages.Rows(TestImages.ImageFolder(Path.Combine(_work, "data"), width, height, ("", perClass)));

    private static float[][] Column(IDataView data, string name) => data.GetColumn<float[]>(name).ToArray();

    [Fact]
    public void ImageBytesFromLoadRawImageBytesGiveTheSameBagsAsPaths()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(Rows());
        var whole = new Transforms.Bagging.PatchBaggingOptions { CropHeight = null, CropWidth = null };
        var fromPaths = ml.Transforms.BagPatches(whole).Fit(data).Transform(data);
        var bytes = ml.Transforms.LoadRawImageBytes("Bytes", null, "ImagePath").Fit(data).Transform(data);
        whole.InputColumnName = "Bytes";
        var fromBytes = ml.Transforms.BagPatches(whole).Fit(bytes).Transform(bytes);
        Assert.Equal(Column(fromPaths, "Bag"), Column(fromBytes, "Bag"));

        // Decoded images cannot enter a custom mapping: the error says what to use instead.
        var images = ml.Transforms.LoadImages("Image", null, "ImagePath").Fit(data).Transform(data);
        whole.InputColumnName = "Image";
        var e = Assert.Throws<ArgumentException>(() => ml.Transforms.BagPatches(whole).Fit(images));
        Assert.Contains("LoadRawImageBytes", e.Message);
    }

    [Fact]
    public void TheTrainerIsAnMlNetTrainerSeededByTheContext()
    {
        AttentionMilTransformer Train(int contextSeed)
        {
            var ml = new MLContext(contextSeed);
            var data = ml.Data.LoadFromEnumerable(Rows());
            var trainer = ml.MulticlassClassification.Trainers.AttentionMil(maxEpochs: 1);
            Assert.IsAssignableFrom<ITrainerEstimator<AttentionMilTransformer, AttentionMilModelParameters>>(trainer);
            Assert.False(trainer.Info.NeedNormalization);
            var pipeline = ml
                .Transforms.Conversion.MapValueToKey("Label")
                .Append(
                    ml.Transforms.BagPatches(
                        new Transforms.Bagging.PatchBaggingOptions { CropHeight = null, CropWidth = null }
                    )
                )
                .Append(trainer);
            return pipeline.Fit(data).LastTransformer;
        }
        var a = Train(3);
        var b = Train(3);
        var c = Train(4);
        Assert.Equal(a.History.Select(h => h.TrainLoss), b.History.Select(h => h.TrainLoss));
        Assert.NotEqual(a.History.Select(h => h.TrainLoss), c.History.Select(h => h.TrainLoss));
        Assert.Equal("Bag", a.FeatureColumnName);
        Assert.Equal(["dark", "light"], a.Model.ClassNames);
    }

    [Fact]
    public void TrainingReportsToTheContextsLogAndToItsControl()
    {
        var ml = new MLContext(2);
        var logged = new List<string>();
        ml.Log += (_, e) =>
        {
            if (
                e.Source.Contains(nameof(AttentionMilTrainer))
                && e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info
            )
                lock (logged)
                    logged.Add(e.RawMessage);
        };
        var epochs = new List<EpochReport>();
        string checkpoint = Path.Combine(_work, "checkpoint.bin");
        var trainer = ml
            .MulticlassClassification.Trainers.AttentionMil(maxEpochs: 2)
            .WithControl(new TrainingControl { CheckpointPath = checkpoint, OnEpochEnd = epochs.Add });
        var data = ml.Data.LoadFromEnumerable(Rows());
        var model = ml
            .Transforms.Conversion.MapValueToKey("Label")
            .Append(
                ml.Transforms.BagPatches(
                    new Transforms.Bagging.PatchBaggingOptions { CropHeight = null, CropWidth = null }
                )
            )
            .Append(trainer)
            .Fit(data)
            .LastTransformer;
        Assert.Equal([1, 2], epochs.Select(e => e.Epoch));
        Assert.Equal(epochs.Select(e => e.Describe()), logged.Take(2));
        // then the temperature fitted on the validation bags, the last line
        Assert.StartsWith("Temperature scaling on 2 validation bag(s): T = ", Assert.Single(logged.Skip(2)));
        Assert.StartsWith("epoch   1/2  train loss", logged[0]);
        Assert.True(File.Exists(checkpoint));
        Assert.Equal(model.History, epochs);
    }

    [Fact]
    public void FeatureBagsNeedNoArchitectureSetting()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(Rows(perClass: 2, width: 224, height: 224));
        var model = ml
            .Transforms.Conversion.MapValueToKey("Label")
            .Append(
                ml.Transforms.BagPatches(
                    new Transforms.Bagging.PatchBaggingOptions
                    {
                        CropHeight = null,
                        CropWidth = null,
                        PatchSize = 112,
                        Stride = 112,
                    }
                )
            )
            .Append(ml.Transforms.ExtractPatchFeatures())
            .Append(ml.MulticlassClassification.Trainers.AttentionMil(bagColumnName: "Features", maxEpochs: 1))
            .Fit(data);
        Assert.Equal(NetworkArchitecture.FeatureAttentionMil, model.LastTransformer.Model.Architecture);
    }

    [Fact]
    public void AMissingImageArrivesAsItsOwnException()
    {
        var ml = new MLContext(1);
        var rows = Rows();
        rows[1].ImagePath = Path.Combine(_work, "missing.png");
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml
            .Transforms.Conversion.MapValueToKey("Label")
            .Append(
                ml.Transforms.BagPatches(
                    new Transforms.Bagging.PatchBaggingOptions { CropHeight = null, CropWidth = null }
                )
            )
            .Append(ml.MulticlassClassification.Trainers.AttentionMil(maxEpochs: 1));
        var fit = Assert.Throws<ImageReadException>(() => pipeline.Fit(data));
        Assert.Contains("missing.png", fit.Message);

        rows[1].ImagePath = rows[0].ImagePath;
        var model = pipeline.Fit(ml.Data.LoadFromEnumerable(rows));
        rows[2].ImagePath = Path.Combine(_work, "gone.png");
        var scored = model.Transform(ml.Data.LoadFromEnumerable(rows));
        var evaluate = Assert.Throws<ImageReadException>(() => ml.MulticlassClassification.Evaluate(scored));
        Assert.Contains("gone.png", evaluate.Message);
    }
}
