using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Slides;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Patient-level bags: a slide set (a .slides file) is one bag of its slides' tiles, in order, wherever a
/// slide path is read; `train --bag-by patient` trains and tests on patients and keeps each slide's map.</summary>
public sealed class PatientBagTests
{
    [Fact]
    public void ASlideSetIsOneBagOfItsSlidesTilesInOrder()
    {
        var folder = TestTemp.Folder("slide-sets").FullName;
        string a = new GridSlide(3, 2, 1).Write(Path.Combine(folder, "a.tif")),
            b = new GridSlide(2, 2, 1).Write(Path.Combine(folder, "b.tif")),
            set = Path.Combine(folder, "patient.slides");
        SlideSets.Write(set, [a, b]);
        Assert.Equal([a, b], SlideSets.Read(set));

        SlideFeatures.CacheFolder = Path.Combine(folder, "cache");
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.LoadFromEnumerable(
            new[]
            {
                new Row { SlidePath = a },
                new Row { SlidePath = b },
                new Row { SlidePath = set },
            }
        );
        var bagged = ml
            .Transforms.TileSlides(new SlideTilesOptions { MicronsPerPixel = 0.5 })
            .Fit(rows)
            .Transform(rows);
        var features = bagged.GetColumn<float[]>("Features").ToList();
        var corners = bagged.GetColumn<int[]>("FeaturesCoordinates").ToList();
        Assert.Equal(features[0].Concat(features[1]), features[2]);
        Assert.Equal(corners[0].Concat(corners[1]), corners[2]);
        Assert.Equal(6 + 4, corners[2].Length / 2);
    }

    [Fact]
    public void ABadSlideSetIsNamed()
    {
        var folder = TestTemp.Folder("slide-sets-bad").FullName;
        var set = Path.Combine(folder, "p.slides");
        File.WriteAllText(set, "# nothing\n\n");
        Assert.Contains("lists no slide", Assert.Throws<InvalidDataException>(() => SlideSets.Read(set)).Message);
        File.WriteAllText(set, "missing.tif\n");
        Assert.Contains(
            "missing.tif does not exist",
            Assert.Throws<FileNotFoundException>(() => SlideSets.Read(set)).Message
        );
        File.WriteAllText(Path.Combine(folder, "x.tif"), "");
        File.WriteAllText(set, "x.tif\n./x.tif\n");
        Assert.Contains("twice", Assert.Throws<InvalidDataException>(() => SlideSets.Read(set)).Message);
    }

    [Fact]
    public void CamelyonSeventeenPatientsTakeThePnStageOfTheirNodes()
    {
        var folder = TestTemp.Folder("patients-c17").FullName;
        ImageRecord Node(string patient, int node, string label)
        {
            var path = Path.Combine(folder, $"{patient}_node_{node}.tif");
            File.WriteAllText(path, "");
            return new ImageRecord(path, label, patient);
        }
        var split = new DatasetSplit(
            [Node("patient_001", 0, "negative"), Node("patient_001", 1, "macro"), Node("patient_001", 2, "micro")],
            [],
            [Node("patient_002", 0, "itc"), Node("patient_002", 1, "negative")]
        );
        var entry = new DatasetEntry { Name = "c17", Layout = "camelyon17" };
        var bags = Application.Features.PatientBags.Group(
            split,
            Path.Combine(folder, "run"),
            Application.Features.PatientBags.PatientClass(entry)
        );
        Assert.Equal(["pN1"], bags.Train.Select(r => r.Label)); // a macro-metastasis and up to three nodes
        Assert.Equal(["pN0(i+)"], bags.Test.Select(r => r.Label));
        Assert.Equal(3, SlideSets.Read(bags.Train[0].Path).Count);
        // A scored patient is cut back into its nodes: each its own tiles' part of the map, the patient's class.
        var scored = new Trainers.ScoredImage(
            bags.Test[0].Path,
            1,
            [0.2f, 0.8f],
            [0.3f, 0.7f],
            [0, 0, 0, 0],
            new Transforms.Bagging.BagLayout(3, 224, 224, 1, 2, 0, 0, 448, 224),
            Trainers.MapKind.Attention
        );
        var (slides, maps) = Application.Features.PatientBags.Unfold(bags.Test, [scored], split.Test, _ => (1, 224));
        Assert.Equal(split.Test.Select(r => r.Path), slides.Select(r => r.Path));
        Assert.All(slides, r => Assert.Equal("pN0(i+)", r.Label));
        Assert.Equal(
            [
                [0.3f],
                [0.7f],
            ],
            maps.Select(m => m.Map)
        );
        Assert.All(maps, m => Assert.Equal([0.2f, 0.8f], m.Probabilities));

        // A patient on both sides of the split cannot be one bag.
        var across = new DatasetSplit(split.Train, [], [Node("patient_001", 3, "negative")]);
        var split2 = Assert.Throws<DatasetException>(() => Application.Features.PatientBags.Group(across, folder));
        Assert.Contains("Patient patient_001 has slides in the train and the test part", split2.Message);

        // Elsewhere a patient's slides must share a class.
        var e = Assert.Throws<DatasetException>(() => Application.Features.PatientBags.Group(split, folder));
        Assert.Contains("Patient patient_001: their slides are labelled negative, macro, micro", e.Message);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void TrainingOnPatientBagsScoresPatientsAndKeepsEachSlidesMap()
    {
        var root = TestTemp.Folder("patients-data").FullName;
        SyntheticSlides.Generate(root, new SyntheticSlideOptions(8, 5) { Width = 1024, Height = 768 });
        // Two slides a patient, of one class: the first two normal slides are patient N0, and so on.
        var table = Path.Combine(root, SyntheticSlides.ListFile);
        var lines = File.ReadAllLines(table).Skip(1).ToList();
        var patients = lines
            .Select(l => l.Split(','))
            .GroupBy(p => p[1])
            .SelectMany(g => g.Select((p, i) => $"{p[0]},{p[1]},{p[1][0]}{i / 2}"))
            .ToList();
        File.WriteAllLines(table, ["slide_id,label,patient", .. patients]);
        string run = Path.Combine(TestTemp.Folder("patients-run").FullName, "run"),
            cache = Path.Combine(root, "cache");

        var (exit, stdout, stderr) = Programs.TrainSlides(root, cache, run, "--bag-by", "patient");
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("Bags by patient: train", stdout);
        using var metrics = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")));
        Assert.Equal("patients", metrics.RootElement.GetProperty("unit").GetString());
        int testPatients = metrics.RootElement.GetProperty("test").GetProperty("images").GetInt32();
        var sets = Directory.GetFiles(Path.Combine(run, "patients"), "*.slides");
        Assert.Equal(4, sets.Length);
        // Each test slide keeps its own map: localization counts the test slides with masks, two a patient.
        using var localization = System.Text.Json.JsonDocument.Parse(
            File.ReadAllText(Path.Combine(run, "localization.json"))
        );
        Assert.Equal(2 * testPatients, localization.RootElement.GetProperty("slides").GetInt32());
        Assert.Equal(2 * testPatients, Directory.GetFiles(Path.Combine(run, "heatmaps"), "*.png").Length);
        Assert.Contains("Test patients, worst first", File.ReadAllText(Path.Combine(run, "report.html")));

        // A patient whose slides disagree has no one class: one normal and one tumour slide both of patient X.
        var mixed = patients.Select(l => l.Split(',')).ToList();
        mixed.First(p => p[1] == "normal")[2] = "X";
        mixed.First(p => p[1] == "tumor")[2] = "X";
        File.WriteAllLines(table, ["slide_id,label,patient", .. mixed.Select(p => string.Join(',', p))]);
        (exit, _, stderr) = Programs.TrainSlides(root, cache, run + "-mixed", "--bag-by", "patient");
        Assert.Equal(1, exit);
        Assert.Contains("Patient X: their slides are labelled", stderr);
    }

    private sealed class Row
    {
        public string SlidePath { get; set; } = "";
    }
}
