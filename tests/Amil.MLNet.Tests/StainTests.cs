using Amil.MLNet.Transforms.Images;
using Amil.MLNet.Transforms.Stain;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Stain normalisation on images made from known stains: Macenko finds the stain vectors it was given,
/// either method brings one stain's image onto another's, and a source normalised to itself barely changes.</summary>
public sealed class StainTests
{
    // Macenko's reference vectors and a second, bluer haematoxylin and pinker eosin (unit length).
    private static readonly double[] H1 = Unit(0.5626, 0.7201, 0.4062),
        E1 = Unit(0.2159, 0.8012, 0.5581),
        H2 = Unit(0.70, 0.65, 0.30),
        E2 = Unit(0.22, 0.85, 0.48);

    [Fact]
    public void MacenkoFindsTheStainVectorsAnImageWasMadeOf()
    {
        var profile = StainProfile.Measure(StainMethod.Macenko, Stained(H1, E1, 1.0, seed: 1));

        Assert.Equal(8, profile.Values.Count);
        Assert.InRange(Cosine(profile.Values.Take(3), H1), 0.995, 1.0);
        Assert.InRange(Cosine(profile.Values.Skip(3).Take(3), E1), 0.995, 1.0);
        Assert.InRange(profile.Values[6], 1.2, 1.6); // 99th percentile of haematoxylin drawn up to 1.5
    }

    [Theory]
    [InlineData(StainMethod.Macenko, 3.0)]
    [InlineData(StainMethod.Reinhard, 6.0)]
    public void AnImageOfOneStainIsBroughtOntoAnother(StainMethod method, double bound)
    {
        // The same tissue (concentrations) stained two ways, the second darker.
        var source = Stained(H2, E2, 1.0, seed: 2);
        var target = Stained(H1, E1, 1.3, seed: 2);
        double before = MeanAbsoluteDifference(source, target);

        var normalizer = StainNormalizer.Create(
            StainProfile.Measure(method, source),
            StainProfile.Measure(method, target)
        );
        double after = MeanAbsoluteDifference(normalizer.Apply(source), target);

        Assert.True(before > 12, $"the two stains differ by {before:F1} grey levels only");
        Assert.True(after < bound, $"{method}: {before:F1} → {after:F1} grey levels");
    }

    [Theory]
    [InlineData(StainMethod.Macenko)]
    [InlineData(StainMethod.Reinhard)]
    public void ASourceNormalisedToItselfBarelyChanges(StainMethod method)
    {
        var image = Stained(H1, E1, 1.0, seed: 3);
        var own = StainProfile.Measure(method, image);

        var same = StainNormalizer.Create(own, own).Apply(image);

        Assert.InRange(MeanAbsoluteDifference(image, same), 0, 1.0);
        Assert.NotSame(image.Pixels, same.Pixels);
    }

    [Fact]
    public void ReinhardMatchesTheReferencesMeansAndSpreads()
    {
        var source = Stained(H2, E2, 1.0, seed: 4);
        var reference = StainProfile.Measure(StainMethod.Reinhard, Stained(H1, E1, 1.2, seed: 5));

        var normalized = StainNormalizer.Create(StainProfile.Measure(StainMethod.Reinhard, source), reference);
        var measured = StainProfile.Measure(StainMethod.Reinhard, normalized.Apply(source));

        for (int i = 0; i < 6; i++)
            Assert.InRange(measured.Values[i], reference.Values[i] - 0.02, reference.Values[i] + 0.02);
    }

    [Fact]
    public void TheMedoidIsTheMostTypicalProfile()
    {
        var profiles = new[] { 0.0f, 1.0f, 1.2f, 5.0f }
            .Select(v => new StainProfile(StainMethod.Reinhard, [v, 0, 0, 1, 1, 1]))
            .ToList();
        Assert.Same(profiles[1], StainProfile.Medoid(profiles));
    }

    [Fact]
    public void UnmeasurableSourcesAndMismatchesAreRefused()
    {
        var glass = new RgbImage(32, 32, Enumerable.Repeat((byte)245, 32 * 32 * 3).ToArray());
        foreach (var method in new[] { StainMethod.Macenko, StainMethod.Reinhard })
            Assert.Contains(
                "too little stained tissue",
                Assert.Throws<InvalidDataException>(() => StainProfile.Measure(method, glass)).Message
            );
        var reinhard = new StainProfile(StainMethod.Reinhard, [1, 0, 0, 1, 1, 1]);
        var macenko = StainProfile.Measure(StainMethod.Macenko, Stained(H1, E1, 1, seed: 6));
        Assert.Throws<ArgumentException>(() => StainNormalizer.Create(reinhard, macenko));
        Assert.Throws<ArgumentException>(() => new StainProfile(StainMethod.Macenko, [1, 2, 3]));
        Assert.Throws<ArgumentException>(() => new StainProfile(StainMethod.None, []));
        Assert.Throws<ArgumentException>(() => new StainProfile(StainMethod.Reinhard, [float.NaN, 0, 0, 1, 1, 1]));
        Assert.Throws<ArgumentException>(() => new StainProfile(StainMethod.Reinhard, [1, 0, 0, 0, 1, 1]));
        Assert.Throws<ArgumentException>(() => new StainProfile(StainMethod.Macenko, [1, 0, 0, 0, 1, 0, 1, 0]));
    }

    [Fact]
    public void TheEigenSolverDiagonalisesASymmetricMatrix()
    {
        var m = new double[,]
        {
            { 4, 1, 0.5 },
            { 1, 3, 1 },
            { 0.5, 1, 2 },
        };
        var (values, vectors) = StainMath.SymmetricEigen(m);
        Assert.True(values[0] >= values[1] && values[1] >= values[2]);
        for (int k = 0; k < 3; k++)
        for (int r = 0; r < 3; r++)
        {
            double mv = 0;
            for (int c = 0; c < 3; c++)
                mv += m[r, c] * vectors[c, k];
            Assert.Equal(values[k] * vectors[r, k], mv, 1e-9);
        }
        Assert.Equal(9, values.Sum(), 1e-9); // the trace
    }

    [Fact]
    public void BaggedImagesAreNormalisedAndTheReferenceSavesWithTheModel()
    {
        var folder = TestTemp.Folder("stain-bags").FullName;
        var path = Path.Combine(folder, "image.png");
        var image = Stained(H2, E2, 1.0, seed: 7);
        RgbImageWriter.WritePng(path, image);
        var reference = StainProfile.Measure(StainMethod.Macenko, Stained(H1, E1, 1.3, seed: 8));
        var options = new Transforms.Bagging.PatchBaggingOptions
        {
            CropHeight = null,
            CropWidth = null,
            PatchSize = 32,
            Stride = 32,
            Stain = reference,
        };
        var normalised = StainNormalizer
            .Create(StainProfile.Measure(StainMethod.Macenko, image), reference)
            .Apply(image);
        var plain = options.Clone();
        plain.Stain = null;
        var expected = Transforms.Bagging.PatchCutter.Cut(normalised, plain).Pixels;

        var ml = new Microsoft.ML.MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new ImageRow { ImagePath = path } });
        var fitted = ml.Transforms.BagPatches(options).Fit(data);
        var model = Path.Combine(folder, "bagging.zip");
        ml.Model.Save(fitted, data.Schema, model);
        var load = new Microsoft.ML.MLContext(seed: 1);
        load.ComponentCatalog.RegisterAmilTransforms();
        var bag = Microsoft.ML.Data.ColumnCursorExtensions.GetColumn<float[]>(
            load.Model.Load(model, out _).Transform(data),
            "Bag"
        );

        Assert.Equal(expected, bag.Single());
        Assert.NotEqual(Transforms.Bagging.PatchCutter.Cut(image, plain).Pixels, expected);
        var cacheFolder = Path.Combine(folder, "cache");
        var features = new Transforms.Features.PatchFeatureOptions();
        Assert.NotEqual(
            new Transforms.Features.FeatureCache(cacheFolder, plain, features).EntryPath(path),
            new Transforms.Features.FeatureCache(cacheFolder, options, features).EntryPath(path)
        );
    }

    [Fact]
    public void AnImageTrainingNormalisesToItsMostTypicalImageAndSaysSo()
    {
        var folder = TestTemp.Folder("stain-train").FullName;
        var data = TestImages.ImageFolder(Path.Combine(folder, "data"), parts: [("train", 4), ("test", 2)]);
        var run = Path.Combine(folder, "run");
        var (exit, stdout, stderr) = Programs.Amil(
            "train",
            "--data",
            data,
            "--layout",
            "image-folder",
            "--crop",
            "none",
            "--epochs",
            "1",
            "--stain",
            "reinhard",
            "--out",
            run
        );

        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("Stain reference (Reinhard):", stdout);
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Contains("training image", config.RootElement.GetProperty("stain").GetProperty("reference").GetString());
        (exit, _, stderr) = Programs.Amil(
            "train",
            "--data",
            data,
            "--layout",
            "image-folder",
            "--stain-reference",
            Path.Combine(data, "train", "dark", "dark-0.png"),
            "--out",
            Path.Combine(folder, "run2")
        );
        Assert.Equal(1, exit);
        Assert.Contains("without a stain method", stderr);
    }

    private sealed class ImageRow
    {
        public string ImagePath { get; set; } = "";
    }

    /// <summary>96 × 96 px of tissue made of two stains: a third pure haematoxylin, a third pure eosin, a third
    /// mixed, each darker by <paramref name="strength"/>; 1/8 of the pixels glass.</summary>
    internal static RgbImage Stained(double[] h, double[] e, double strength, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[96 * 96 * 3];
        for (int i = 0; i < 96 * 96; i++)
        {
            double u = random.NextDouble(),
                v = random.NextDouble();
            var (ch, ce) = (i % 8) switch
            {
                0 => (0.0, 0.0),
                < 3 => (0.5 + u, 0.0),
                < 5 => (0.0, 0.7 + 0.8 * v),
                _ => (0.3 + 0.9 * u, 0.3 + 0.9 * v),
            };
            for (int c = 0; c < 3; c++)
                pixels[3 * i + c] = (byte)
                    Math.Clamp(Math.Round(256 * Math.Exp(-strength * (h[c] * ch + e[c] * ce)) - 1), 0, 255);
        }
        return new RgbImage(96, 96, pixels);
    }

    private static double[] Unit(double r, double g, double b)
    {
        double n = Math.Sqrt(r * r + g * g + b * b);
        return [r / n, g / n, b / n];
    }

    private static double Cosine(IEnumerable<float> a, double[] b)
    {
        var x = a.Select(v => (double)v).ToArray();
        return x.Zip(b).Sum(p => p.First * p.Second) / Math.Sqrt(x.Sum(v => v * v)) / Math.Sqrt(b.Sum(v => v * v));
    }

    private static double MeanAbsoluteDifference(RgbImage a, RgbImage b) =>
        a.Pixels.Zip(b.Pixels).Average(p => Math.Abs(p.First - p.Second));
}
