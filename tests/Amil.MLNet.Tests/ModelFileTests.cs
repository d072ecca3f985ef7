using System.IO.Compression;
using System.Text.Json;
using Amil.MLNet.Application;
using Amil.MLNet.Trainers;
using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Trainers.Scoring;
using Microsoft.ML;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>A saved model is either the model that was saved, or a clear error: damaged files and other pipelines'
/// models never score silently. One loaded model scores the same from many threads.</summary>
[Collection("trained")]
public class ModelFileTests(TrainedRunFixture run)
{
    private string ModelPath => Path.Combine(run.RunDirectory, "model.zip");

    /// <summary>A copy of the model with 64 bytes flipped in the middle of its largest entry (the network
    /// weights).</summary>
    private string DamagedCopy()
    {
        var copy = Path.Combine(TestTemp.Folder("amil-damaged-").FullName, "model.zip");
        File.Copy(ModelPath, copy);
        long offset;
        using (var archive = ZipFile.OpenRead(copy))
        {
            var weights = archive.Entries.MaxBy(e => e.CompressedLength)!;
            Assert.True(weights.CompressedLength > 100_000, weights.FullName);
            // Local header: 30 bytes + name + extra field, then the data; flip bytes well inside the data.
            offset = FindLocalHeader(copy, weights.FullName) + weights.CompressedLength / 2;
        }
        using (var stream = File.Open(copy, FileMode.Open))
        {
            var bytes = new byte[64];
            stream.Position = offset;
            stream.ReadExactly(bytes);
            for (int i = 0; i < bytes.Length; i++)
                bytes[i] ^= 0x5A;
            stream.Position = offset;
            stream.Write(bytes);
        }
        return copy;
    }

    private static long FindLocalHeader(string zip, string name)
    {
        var bytes = File.ReadAllBytes(zip);
        var needle = System.Text.Encoding.UTF8.GetBytes(name);
        for (int i = 0; i + 30 + needle.Length < bytes.Length; i++)
            if (
                bytes[i] == 0x50
                && bytes[i + 1] == 0x4B
                && bytes[i + 2] == 3
                && bytes[i + 3] == 4
                && bytes.AsSpan(i + 30, needle.Length).SequenceEqual(needle)
            )
                return i + 30 + needle.Length + BitConverter.ToUInt16(bytes, i + 28);
        throw new InvalidOperationException($"{name} not found in {zip}");
    }

    [Fact]
    public void ADamagedModelFileIsRefusedNotScored()
    {
        var damaged = DamagedCopy();
        var e = Assert.Throws<InvalidDataException>(() => AmilModel.Load(damaged));
        Assert.Contains("model file is damaged", e.Message);
        Assert.Contains(damaged, e.Message);

        var (exit, _, stderr) = Programs.Amil(
            "predict",
            "--model",
            damaged,
            "--input",
            run.SomeImages(1)[0],
            "--out",
            Path.GetDirectoryName(damaged)!
        );
        Assert.Equal(1, exit);
        Assert.StartsWith($"error: {damaged}: model file is damaged", stderr);
    }

    [Fact]
    public void WeightsThatDoNotMatchTheirChecksumAreRefused()
    {
        var spec = new NetworkSpec(28, 20, 8, false, 2);
        using var network = TorchSeeding.Seeded(2, () => BagNetwork.Create(spec));
        var state = NetworkState.Encode(spec, network.ExportWeights());
        state[^1] += 1f; // one weight changed after the checksum was taken
        var e = Assert.Throws<InvalidDataException>(() => NetworkCache.Use(state, n => n.Spec));
        Assert.Contains("do not match their checksum", e.Message);
    }

    [Fact]
    public void AnotherPipelinesModelIsNamedForWhatItIs()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(
            new[]
            {
                new OtherRow { X = 1, Y = 2 },
            }
        );
        var other = ml.Transforms.Concatenate("Features", "X", "Y").Fit(data);
        var path = Path.Combine(TestTemp.Folder("amil-other-").FullName, "model.zip");
        ml.Model.Save(other, data.Schema, path);
        var e = Assert.Throws<InvalidDataException>(() => AmilModel.Load(path));
        Assert.Contains("not an Amil.MLNet model", e.Message);
        Assert.Contains("'X'", e.Message);
        Assert.Contains("amil train", e.Message);
    }

    private sealed class OtherRow
    {
        public float X { get; set; }
        public float Y { get; set; }
    }

    [Fact]
    public void EightThreadsScoreExactlyLikeOne()
    {
        var images = run.SomeImages(8).ToList();
        var model = AmilModel.Load(ModelPath);
        var expected = images.Select(i => model.Score([i]).Single()).ToList();
        var results = new ScoredImage[8][];
        var threads = Enumerable
            .Range(0, 8)
            .Select(t => new Thread(() =>
            {
                // Each thread walks the images in its own order, all on the one loaded model.
                results[t] = images
                    .Select((_, k) => images[(k + t) % images.Count])
                    .Select(i => model.Score([i]).Single())
                    .OrderBy(s => images.IndexOf(s.Path))
                    .ToArray();
            }))
            .ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        foreach (var perThread in results)
            for (int i = 0; i < images.Count; i++)
            {
                Assert.Equal(expected[i].Probabilities, perThread[i].Probabilities);
                Assert.Equal(expected[i].Map, perThread[i].Map);
            }

        // ML.NET's own engines, one per thread, over the same transformer.
        var ml = new MLContext(1);
        var scores = new float[8][];
        var engines = Enumerable
            .Range(0, 8)
            .Select(t => new Thread(() =>
            {
                var engine = ml.Model.CreatePredictionEngine<ImageInput, ScoreOnly>(model.Transformer);
                scores[t] = engine.Predict(new ImageInput { ImagePath = images[t] }).Score;
            }))
            .ToList();
        engines.ForEach(t => t.Start());
        engines.ForEach(t => t.Join());
        for (int t = 0; t < 8; t++)
            Assert.Equal(expected[t].Probabilities, scores[t]);
    }

    private sealed class ScoreOnly
    {
        public float[] Score { get; set; } = [];
    }

    [Fact]
    public void PredictSkipsBadImagesWhenAskedAndListsThem()
    {
        var folder = TestTemp.Folder("amil-predict-skip-").FullName;
        var good = run.SomeImages(2);
        for (int i = 0; i < good.Count; i++)
            File.Copy(good[i], Path.Combine(folder, $"good{i}.png"));
        File.WriteAllBytes(Path.Combine(folder, "broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        var output = Path.Combine(folder, "out");

        Assert.ThrowsAny<Exception>(() => PredictJob.Run(ModelPath, folder, output, _ => { }));
        var predictions = PredictJob.Run(
            ModelPath,
            folder,
            output,
            _ => { },
            new() { OnBadImage = Data.Datasets.BadImagePolicy.Skip }
        );
        Assert.Equal(2, predictions.Count);
        using var skipped = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "skipped.json")));
        Assert.EndsWith("broken.png", skipped.RootElement[0].GetProperty("path").GetString());
    }
}
