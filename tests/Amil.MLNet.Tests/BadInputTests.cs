using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Application;
using Amil.MLNet.Trainers.Training;
using Amil.MLNet.Transforms.Bagging;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Bad data and bad settings for train: each a clear error (exit 1) or a warning, never lost work, never exit
/// 2.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _work = TestTemp.Folder("amil-bad-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private string Data(params (string Part, int PerClass)[] parts) =>
        TestImages.ImageFolder(Path.Combine(_work, "data"), parts: parts);

    private TrainSettings Settings(string data, string run, int epochs = 1) =>
        new()
        {
            Dataset = new DatasetSelection(DataDirectory: data, Layout: "image-folder"),
            OutDirectory = Path.Combine(_work, run),
            Epochs = epochs,
            Crop = "none",
            PatchSize = 28,
            Stride = 28,
        };

    [Fact]
    public void TruncatedTestImageStopsTheJobBeforeTrainingAndNamesIt()
    {
        var data = Data(("train", 4), ("test", 2));
        var truncated = Path.Combine(data, "test", "dark", "dark-1.png");
        TestImages.Truncate(truncated, 300);
        var run = Path.Combine(_work, "run");
        var (exit, stdout, stderr) = Programs.Amil(
            "train",
            "--data",
            data,
            "--layout",
            "image-folder",
            "--crop",
            "none",
            "--out",
            run
        );
        Assert.Equal(1, exit);
        Assert.Contains(truncated, stderr);
        Assert.Contains("truncated", stderr);
        Assert.DoesNotContain("epoch", stdout); // found before any training
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void AFailureAfterTheModelIsSavedKeepsTheRunFolder()
    {
        var data = Data(("train", 4), ("test", 2));
        var testImage = Path.Combine(data, "test", "light", "light-0.png");
        // Damaged while training runs, after screening: the test pass meets it only once the model is saved.
        var settings = Settings(data, "run") with
        {
            OnBag = (_, _, _) =>
            {
                if (File.Exists(testImage))
                    TestImages.Truncate(testImage, 200);
            },
        };
        var e = Assert.Throws<RunIncompleteException>(() => TrainJob.Run(settings, _ => { }));
        Assert.Contains("model was trained and saved", e.Message);
        Assert.Contains(testImage, e.Message);
        var run = settings.OutDirectory!;
        Assert.True(File.Exists(Path.Combine(run, "model.zip")));
        Assert.True(File.Exists(Path.Combine(run, "history.csv")));
        Assert.Contains("step after it failed", File.ReadAllText(Path.Combine(run, RunFiles.LogFile)));
    }

    [Fact]
    public void DatasetsCheckDecodesEveryImageAndTakesDataAndLayout()
    {
        // BreakHis-sized, so the default 448x700 crop fits and only the truncated file is unusable.
        var data = TestImages.ImageFolder(Path.Combine(_work, "data"), 700, 460, ("", 3));
        var truncated = Path.Combine(data, "light", "light-2.png");
        TestImages.Truncate(truncated, 300);
        var (exit, stdout, stderr) = Programs.Amil("datasets", "check", "--data", data, "--layout", "image-folder");
        Assert.Equal(1, exit);
        Assert.Contains($"unusable: {truncated}: file is truncated", stdout);
        Assert.Contains("dark: train", stdout); // per-split class counts
        Assert.StartsWith("error: 1 unusable file(s)", stderr);
    }

    [Fact]
    public void NonFiniteLossStopsTrainingWithAClearError()
    {
        var data = Data(("", 4));
        var run = Path.Combine(_work, "run");
        var (exit, _, stderr) = Programs.Amil(
            "train",
            "--data",
            data,
            "--layout",
            "image-folder",
            "--crop",
            "none",
            "--epochs",
            "2",
            "--learning-rate",
            "1e30",
            "--out",
            run
        );
        Assert.Equal(1, exit);
        // One error line; on a CPU whose oneDNN kernels the self-check refused, the kernel warning comes before it.
        var error = Assert.Single(stderr.Split('\n'), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.StartsWith("error: Training diverged: the training loss is NaN", error);
        Assert.Contains("Lower the learning rate", error);
        Assert.Contains("CPU kernels:", error);
    }

    [Fact]
    public void DivergenceAfterAGoodEpochKeepsItsCheckpoint()
    {
        var data = Data(("", 4));
        int bags = 0;
        // The loop's own NaN check is proven above; here a divergence is raised inside epoch 2 (from the per-bag
        // callback,
        // which runs inside the loop) to check what the run folder keeps.
        var settings = Settings(data, "run", epochs: 3) with
        {
            OnBag = (done, total, training) =>
            {
                if (training && ++bags == total + 1)
                    throw new TrainingDivergedException("Training diverged: test.", 2);
            },
        };
        var e = Assert.Throws<TrainingDivergedException>(() => TrainJob.Run(settings, _ => { }));
        Assert.Contains("The last good epoch (1) stays in", e.Message);
        var run = settings.OutDirectory!;
        Assert.True(File.Exists(Path.Combine(run, RunFiles.CheckpointFile)));
        Assert.False(File.Exists(Path.Combine(run, "model.zip")));
        Assert.Contains("error: Training diverged", File.ReadAllText(Path.Combine(run, RunFiles.LogFile)));
    }

    [Fact]
    public void ExplodingLossWarns()
    {
        var data = Data(("", 4));
        var lines = new List<string>();
        TrainJob.Run(Settings(data, "run") with { LearningRate = 1e6 }, lines.Add);
        Assert.Contains(
            lines,
            l => l.StartsWith("warning: epoch 1's training loss", StringComparison.Ordinal) && l.Contains("exploding")
        );
    }

    [Fact]
    public void ABagOfOnePatchIsAnErrorNamingTheSettings()
    {
        var data = Data(("", 3));
        var e = Assert.Throws<DatasetException>(() =>
            TrainJob.Run(Settings(data, "run") with { Stride = 1000 }, _ => { })
        );
        Assert.Contains("bag of 1 patch", e.Message);
        Assert.Contains("stride 1000", e.Message);
        Assert.False(Directory.Exists(Path.Combine(_work, "run")));
    }

    [Fact]
    public void ABagCoveringLittleOfTheImageWarns()
    {
        var data = Data(("", 3));
        var lines = new List<string>();
        TrainJob.Run(Settings(data, "run") with { Stride = 80 }, lines.Add);
        Assert.Contains(lines, l => l.StartsWith("warning: the patches cover only", StringComparison.Ordinal));
    }

    [Fact]
    public void ABagOverTheMemoryBudgetIsRefusedBeforeTraining()
    {
        var data = Data(("", 3));
        var e = Assert.Throws<DatasetException>(() =>
            TrainJob.Run(Settings(data, "run") with { MaxPatches = 10 }, _ => { })
        );
        Assert.Contains("20 patches", e.Message);
        Assert.Contains("--max-patches", e.Message);
        Assert.Contains("--crop", e.Message);

        // The case, from sizes alone: a 6000×6000 image with crop none is 45,796 patches, ~11 GB of LeNet
        // training.
        var huge = new ScreenedImage(new ImageRecord("/data/huge.png", "a"), 6000, 6000);
        var bagging = new PatchBaggingOptions { CropHeight = null, CropWidth = null };
        var perPatch = TrainingMemory.BytesPerPatch(new TrainSettings(), bagging);
        var refused = Assert.Throws<DatasetException>(() =>
            BagSizeGuard.Check([huge], bagging, perPatch, BagSizeGuard.PatchLimit(perPatch), _ => { })
        );
        Assert.Contains("45,796 patches", refused.Message);
        Assert.Contains("11.", refused.Message); // GB estimate close to the measured 11.8 GB
    }

    [Fact]
    public void AClassTooSmallForEverySplitWarns()
    {
        var data = Data(("", 4));
        Directory.CreateDirectory(Path.Combine(data, "rare"));
        TestImages.WritePng(Path.Combine(data, "rare", "only.png"), 140, 112, dark: true, seed: 99);
        var lines = new List<string>();
        TrainJob.Run(Settings(data, "run"), lines.Add);
        Assert.Contains(
            lines,
            l =>
                l.StartsWith(
                    "warning: class 'rare' has 1 image(s), too few to appear in every part",
                    StringComparison.Ordinal
                )
        );
    }

    [Fact]
    public void ASecondJobOnTheSameRunFolderIsRefused()
    {
        var data = Data(("", 3));
        var run = Path.Combine(_work, "run");
        Directory.CreateDirectory(run);
        using (RunFolderLock.Acquire(run))
        {
            var (exit, _, stderr) = Programs.Amil(
                "train",
                "--data",
                data,
                "--layout",
                "image-folder",
                "--crop",
                "none",
                "--out",
                run
            );
            Assert.Equal(1, exit);
            Assert.Contains("in use by another job", stderr);
            Assert.Equal([RunFolderLock.FileName], Directory.GetFiles(run).Select(Path.GetFileName));
        }
        TrainJob.Run(Settings(data, "run"), _ => { });
        var again = Assert.Throws<ArgumentException>(() => TrainJob.Run(Settings(data, "run"), _ => { }));
        Assert.Contains("already holds a finished run", again.Message);
        var resume = Assert.Throws<ArgumentException>(() => TrainJob.Run(new TrainSettings { Resume = run }, _ => { }));
        Assert.Contains("already finished", resume.Message);
        Assert.False(File.Exists(Path.Combine(run, RunFolderLock.FileName))); // released at the end
    }

    [Fact]
    public void DatasetsFileSyntaxErrorsGiveOneBasedLines()
    {
        var file = Path.Combine(_work, "datasets.json");
        File.WriteAllText(
            file,
            "{\n  \"datasets\": {\n    \"a\": { \"layout\": \"image-folder\" \"root\": \".\" }\n  }\n}\n"
        );
        var e = Assert.Throws<DatasetException>(() => DatasetRegistry.Load(file));
        Assert.Contains("at line 3, column", e.Message);
    }

    [Fact]
    public void CropMessagesSpeakHeightByWidth()
    {
        var problem = PatchCutter.SizeProblem(700, 460, new PatchBaggingOptions { CropHeight = 500, CropWidth = 700 });
        Assert.Equal(
            "image is 460x700 (HxW) but the crop is 500x700 (HxW); use a smaller crop (--crop HxW or --crop none), "
                + "resize, "
                + "or pad small images (--pad-small-images / SmallImages = Pad).",
            problem
        );
    }
}
