using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Application;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Each layout's fixture, in that exact layout, trains end to end (one short epoch on small crops) and writes
/// metrics.</summary>
public class LayoutTrainingTests
{
    private static readonly Lazy<(string Root, IReadOnlyList<string> Files)> BreakHisSource = new(() =>
    {
        var root = TestTemp.Folder("amil-src-").FullName;
        return (
            root,
            SyntheticHistology.Generate(
                root,
                new SyntheticOptions(SyntheticKind.BreakHis, 16, 4) { ImagesPerPatient = 4 }
            )
        );
    });

    /// <summary>Copies the synthetic BreakHis images into another layout: target(relative path, index, malignant) → new
    /// relative path.</summary>
    private static string Relayout(Func<string, int, bool, string> target)
    {
        var (source, files) = BreakHisSource.Value;
        var root = TestTemp.Folder("amil-layout-").FullName;
        for (int i = 0; i < files.Count; i++)
        {
            var destination = Path.Combine(root, target(files[i], i, files[i].Contains("malignant")));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(Path.Combine(source, files[i]), destination);
        }
        return root;
    }

    private static RunMetrics Train(string root, string layout, BadImagePolicy onBadImage = BadImagePolicy.Error)
    {
        var run = Path.Combine(TestTemp.Folder("amil-run-").FullName, "run");
        var result = TrainJob.Run(
            new TrainSettings
            {
                Dataset = new DatasetSelection(DataDirectory: root, Layout: layout),
                OutDirectory = run,
                Epochs = 1,
                Crop = "112x112",
                OnBadImage = onBadImage,
            },
            _ => { }
        );
        Assert.True(File.Exists(Path.Combine(run, "model.zip")));
        Assert.True(File.Exists(Path.Combine(run, "metrics.json")));
        return result.Metrics;
    }

    [Fact]
    public void BreakHisLayoutTrainsWithPatientAccuracy()
    {
        var metrics = Train(BreakHisSource.Value.Root, "breakhis");
        var test = metrics.Test!;
        // The patients come from the BreakHis folder names, 4 images each, and the split keeps patients whole.
        Assert.Equal(test.Images, 4 * test.Patients!.Value);
        Assert.InRange(test.PatientAccuracy!.Value, 0, 1);
        Assert.Equal(test.Images, test.ConfusionMatrix.Sum(row => row.Sum()));
        Assert.Equal(["benign", "malignant"], metrics.Classes);
    }

    [Fact]
    public void BreakHisKaggleLayoutTrains()
    {
        var root = Relayout(
            (path, i, malignant) =>
                Path.Combine(
                    "fold1",
                    i % 4 == 0 ? "test" : "train",
                    "40X",
                    malignant ? "M_40X" : "B_40X",
                    Path.GetFileName(path)
                )
        );
        Assert.Equal(4, Train(root, "breakhis-kaggle").Test!.Images);
    }

    [Fact]
    public void AmilDataLayoutTrains()
    {
        var root = Relayout(
            (path, i, malignant) =>
                Path.Combine("40X", i % 4 == 0 ? "test" : "train", malignant ? "1" : "0", Path.GetFileName(path))
        );
        Assert.Equal(4, Train(root, "amil-data").Test!.Images);
    }

    [Fact]
    public void ImageFolderLayoutTrainsAndSkipsBadFilesWhenAsked()
    {
        var root = Relayout((path, i, malignant) => Path.Combine(malignant ? "tumour" : "normal", $"img{i}.png"));
        File.WriteAllBytes(Path.Combine(root, "tumour", "zero.png"), []);
        File.WriteAllText(Path.Combine(root, "normal", "readme.txt"), "notes");

        var error = Assert.Throws<DatasetException>(() => Train(root, "image-folder"));
        Assert.Contains("readme.txt", error.Message);

        var metrics = Train(root, "image-folder", BadImagePolicy.Skip);
        Assert.Equal(2, metrics.SkippedImages!.Count);
        Assert.Contains(metrics.SkippedImages, s => s.Path.EndsWith("zero.png") && s.Reason.Contains("empty"));
        Assert.Equal(["normal", "tumour"], metrics.Classes);
    }

    [Fact]
    public void BachLayoutTrainsOnTiffWithFourClasses()
    {
        var root = TestTemp.Folder("amil-bach-").FullName;
        SyntheticHistology.Generate(
            root,
            new SyntheticOptions(SyntheticKind.Bach, 16, 2) { Width = 160, Height = 128 }
        );
        var metrics = Train(root, "bach");
        Assert.Equal(["Benign", "InSitu", "Invasive", "Normal"], metrics.Classes);
        Assert.Null(metrics.Test!.PatientAccuracy); // BACH knows no patients
    }
}
