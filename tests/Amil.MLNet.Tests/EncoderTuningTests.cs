using Amil.MLNet.Transforms;
using Amil.MLNet.Transforms.Encoders;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Batch size and threads chosen by measurement: the leanest of the fastest trials is the choice, the
/// tuning file keeps one entry per encoder and machine, only this machine's entry is used, and a damaged file is
/// named.</summary>
public sealed class EncoderTuningTests
{
    private static EncoderTuningChoice Choice(string encoder, string cpu, int batch) =>
        new(encoder, cpu, Environment.ProcessorCount, batch, 1, 10, [new EncoderTrial(batch, 1, 10)]);

    [Fact]
    public void ASaveThatCannotGetItsTurnSaysWhoHoldsTheFile()
    {
        var file = Path.Combine(TestTemp.Folder("amil-tuning-held-").FullName, "tuning.json");
        using var held = new FileStream(file + ".lock", FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        var e = Assert.Throws<TimeoutException>(() =>
            EncoderTuning.Save(Choice("encoder", MachineCpu.Description, 4), file, TimeSpan.FromMilliseconds(200))
        );
        Assert.Contains($"has held {file}.lock for over", e.Message);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void SavesAtTheSameTimeKeepEveryEntry()
    {
        var file = Path.Combine(TestTemp.Folder("amil-tuning-together-").FullName, "tuning.json");
        var savers = Enumerable
            .Range(0, 8)
            .Select(k => new Thread(() => EncoderTuning.Save(Choice($"encoder-{k}", MachineCpu.Description, 4), file)))
            .ToList();
        savers.ForEach(t => t.Start());
        savers.ForEach(t => t.Join());
        var saved = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file)).RootElement;
        Assert.Equal(8, saved.GetArrayLength()); // each read what the others wrote before adding its own
    }

    [Fact]
    public void TheLeanestOfTheFastestTrialsIsChosenAndKeptForThisMachineOnly()
    {
        var choice = EncoderTuning.Tune(PatchEncoders.ResNet18, [1, 2], [1], 0.2);
        Assert.Equal([(1, 1), (2, 1)], choice.Trials.Select(t => (t.BatchSize, t.Threads)));
        // Within 3 % of the fastest, the smallest batch: never a pair measurably slower than another.
        double fastest = choice.Trials.Max(t => t.TilesPerSecond);
        Assert.True(choice.TilesPerSecond >= 0.97 * fastest);
        Assert.All(
            choice.Trials.Where(t => t.TilesPerSecond >= 0.97 * fastest),
            t => Assert.True(t.BatchSize >= choice.BatchSize)
        );
        Assert.Equal((PatchEncoders.ResNet18, MachineCpu.Description), (choice.Encoder, choice.Cpu));

        var file = Path.Combine(TestTemp.Folder("tuning").FullName, "tuning.json");
        Assert.Null(EncoderTuning.Find(PatchEncoders.ResNet18, file)); // no file yet
        EncoderTuning.Save(Choice(PatchEncoders.ResNet18, "Another CPU", 64), file);
        Assert.Null(EncoderTuning.Find(PatchEncoders.ResNet18, file)); // another machine's entry
        EncoderTuning.Save(choice, file);
        EncoderTuning.Save(Choice(PatchEncoders.ResNet18, MachineCpu.Description, 8), file); // replaces ours
        Assert.Equal(8, EncoderTuning.Find(PatchEncoders.ResNet18, file)!.BatchSize);
        Assert.Contains("Another CPU", File.ReadAllText(file));
    }

    [Fact]
    public void ADamagedTuningFileIsNamedAndBadGridsAreRefused()
    {
        var file = Path.Combine(TestTemp.Folder("tuning-bad").FullName, "tuning.json");
        File.WriteAllText(file, "[{\"encoder\": \"resnet18\", \"batch_size\": 0}]");
        var e = Assert.Throws<InvalidDataException>(() => EncoderTuning.Find(PatchEncoders.ResNet18, file));
        Assert.Contains(file, e.Message);
        Assert.Contains("amil encoders tune", e.Message);
        Assert.Throws<ArgumentException>(() => EncoderTuning.Tune(PatchEncoders.ResNet18, [], [1], 0.1));
    }

    [Fact]
    public void TheCliTunesAndTheEncoderThenRunsOnTheChosenThreads()
    {
        var file = Path.Combine(TestTemp.Folder("tuning-cli").FullName, "tuning.json");
        var (exit, stdout, stderr) = Programs.Amil(
            "encoders",
            "tune",
            "resnet18",
            "--batch-sizes",
            "1,2",
            "--threads",
            "1",
            "--seconds",
            "0.2",
            "--tuning-file",
            file
        );
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("batch   2,  1 thread(s):", stdout);
        Assert.Contains("1 thread(s)", stdout.Split('\n').Single(l => l.StartsWith("Chosen for resnet18")));

        var environment = new Dictionary<string, string> { [EncoderTuning.EnvironmentVariable] = file };
        (exit, stdout, stderr) = Programs.Amil(environment, "encoders", "check", "resnet18", "--seconds", "0.2");
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("(batches of 16, 1 thread(s))", stdout);

        (exit, _, stderr) = Programs.Amil("encoders", "tune", "resnet18", "--threads", "two", "--tuning-file", file);
        Assert.Equal(1, exit);
        Assert.Contains("--threads: 'two' is not a whole number", stderr);
    }
}
