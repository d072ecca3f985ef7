using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Data.Synthetic;
using Xunit;

namespace Amil.MLNet.Tests;

public class DatasetTests
{
    [Fact]
    public void BreakHisNamesParseAndRoundTrip()
    {
        Assert.True(BreakHisName.TryParse("SOB_B_A-14-22549AB-40-001.png", out var name));
        Assert.False(name.Malignant);
        Assert.Equal("A", name.Subtype);
        Assert.Equal("22549AB", name.Patient);
        Assert.Equal(40, name.Magnification);
        Assert.Equal("SOB_B_A_14-22549AB", name.PatientFolder);
        Assert.Equal("SOB_B_A-14-22549AB-40-001.png", name.FileName);
        Assert.Contains(Path.Combine("benign", "SOB", "adenosis", "SOB_B_A_14-22549AB", "40X"), name.RelativePath);
        Assert.False(BreakHisName.TryParse("SOB_B_DC-14-1-40-001.png", out _)); // DC is malignant
        Assert.False(BreakHisName.TryParse("random.png", out _));
    }

    [Fact]
    public void SyntheticBreakHisWritesImagesMasksInTheRealLayout()
    {
        var root = TestTemp.Folder("amil-synth-").FullName;
        var written = SyntheticHistology.Generate(
            root,
            new SyntheticOptions(SyntheticKind.BreakHis, 12, 1) { ImagesPerPatient = 3 }
        );
        Assert.Equal(12, written.Count);
        Assert.All(written, p => Assert.True(File.Exists(Path.Combine(root, SyntheticHistology.MasksFolder, p))));
        var records = DatasetReader.ReadBreakHis(
            root,
            new DatasetEntry
            {
                Name = "t",
                Layout = "breakhis",
                Root = root,
            }
        );
        Assert.Equal(12, records.Count);
        Assert.Equal(4, records.Select(r => r.Patient).Distinct().Count());
        Assert.Equal(["benign", "malignant"], records.Select(r => r.Label).Distinct().Order());
        Assert.All(records, r => Assert.Equal("40X", r.Magnification));

        // Same seed, same bytes.
        var again = TestTemp.Folder("amil-synth-").FullName;
        SyntheticHistology.Generate(
            again,
            new SyntheticOptions(SyntheticKind.BreakHis, 12, 1) { ImagesPerPatient = 3 }
        );
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(root, written[5])),
            File.ReadAllBytes(Path.Combine(again, written[5]))
        );
    }

    [Fact]
    public void MalignantMasksMarkTumourAndBenignMasksAreEmpty()
    {
        var root = TestTemp.Folder("amil-synth-").FullName;
        var written = SyntheticHistology.Generate(
            root,
            new SyntheticOptions(SyntheticKind.BreakHis, 4, 2) { ImagesPerPatient = 1 }
        );
        foreach (var path in written)
        {
            var mask = Amil.MLNet.Transforms.Images.RgbImageReader.Read(
                Path.Combine(root, SyntheticHistology.MasksFolder, path)
            );
            double tumour =
                Enumerable.Range(0, mask.Width * mask.Height).Count(i => mask.Pixels[i * 3] > 127)
                / (double)(mask.Width * mask.Height);
            if (path.Contains("malignant"))
                Assert.InRange(tumour, 0.01, 0.6);
            else
                Assert.Equal(0, tumour);
        }
    }

    [Fact]
    public void PatientSplitIsGroupedStratifiedAndSeeded()
    {
        var records = Enumerable
            .Range(0, 40)
            .Select(i => new ImageRecord($"img{i}.png", i % 8 < 4 ? "benign" : "malignant", $"p{i % 8}"))
            .ToList();
        var a = DatasetSplit.Create(records, 0.25, 0.25, 7);
        var b = DatasetSplit.Create(records, 0.25, 0.25, 7);
        Assert.Equal(a.Test.Select(r => r.Path), b.Test.Select(r => r.Path));
        var train = a.Train.Select(r => r.Patient).ToHashSet();
        Assert.Empty(train.Intersect(a.Test.Select(r => r.Patient)));
        Assert.Empty(train.Intersect(a.Validation.Select(r => r.Patient)));
        Assert.Equal(["benign", "malignant"], a.Test.Select(r => r.Label).Distinct().Order());
        Assert.Equal(40, a.Train.Count + a.Validation.Count + a.Test.Count);
    }

    [Fact]
    public void RegistryReportsEveryProblemWithItsJsonPath()
    {
        var file = Path.Combine(TestTemp.Folder("amil-reg-").FullName, "datasets.json");
        File.WriteAllText(
            file,
            """
            { "datasets": {
                "a": { "layout": "nope", "root": "x" },
                "b": { "layout": "breakhis", "root": "y", "patches": { "crop": "big", "size": 28, "stride": 0 } } } }
            """
        );
        var e = Assert.Throws<DatasetException>(() => DatasetRegistry.Load(file));
        Assert.Contains("$.datasets.a.layout", e.Message);
        Assert.Contains("$.datasets.b.patches.crop", e.Message);
        Assert.Contains("$.datasets.b.patches.stride", e.Message);
    }

    [Fact]
    public void RelativeRootsResolveAgainstTheFileAndVariablesExpand()
    {
        Environment.SetEnvironmentVariable("AMIL_TEST_ROOT", "/data/x");
        Assert.Equal("/data/x/sub", DatasetRegistry.ResolvePath("${AMIL_TEST_ROOT}/sub", "/ignored"));
        Assert.Equal("/base/rel", DatasetRegistry.ResolvePath("rel", "/base"));
        Assert.StartsWith(
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
            DatasetRegistry.ResolvePath("~/d", "/base")
        );
    }

    [Fact]
    public void ImageFolderLayoutHonoursPredefinedSplitsAndRejectsEmptyClasses()
    {
        var root = TestTemp.Folder("amil-folder-").FullName;
        foreach (var split in new[] { "train", "test" })
        foreach (var c in new[] { "a", "b" })
        {
            Directory.CreateDirectory(Path.Combine(root, split, c));
            File.WriteAllBytes(Path.Combine(root, split, c, "x.png"), [1]);
        }
        var records = DatasetReader.ReadImageFolder(root);
        Assert.Equal(4, records.Count);
        Assert.Equal(2, records.Count(r => r.Split == "test"));
        Directory.CreateDirectory(Path.Combine(root, "train", "empty"));
        Assert.Contains("empty", Assert.Throws<DatasetException>(() => DatasetReader.ReadImageFolder(root)).Message);
    }

    private static string Tree(params string[] files)
    {
        var root = TestTemp.Folder("amil-layout-").FullName;
        foreach (var f in files)
        {
            var path = Path.Combine(root, f);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, [1]);
        }
        return root;
    }

    [Fact]
    public void KaggleFoldLayoutReadsLabelsSplitsAndMagnifications()
    {
        var root = Tree(
            "fold1/train/40X/B_40X/SOB_B_A-14-22549AB-40-001.png",
            "fold1/test/40X/M_40X/SOB_M_DC-14-2523-40-010.png",
            "fold1/train/100X/M_100X/SOB_M_DC-14-2523-100-001.png"
        );
        var entry = new DatasetEntry
        {
            Name = "k",
            Layout = "breakhis-kaggle",
            Root = root,
            Magnification = "40X",
        };
        var records = DatasetReader.Read(entry, root);
        Assert.Equal(2, records.Count);
        Assert.Contains(records, r => r.Label == "benign" && r.Split == "train" && r.Patient == "SOB_B_A_14-22549AB");
        Assert.Contains(records, r => r.Label == "malignant" && r.Split == "test");
    }

    [Fact]
    public void AmilDataLayoutMapsZeroToBenignAndOneToMalignant()
    {
        var root = Tree("40X/train/0/a.png", "40X/train/1/b.png", "40X/test/0/c.png", "40X/test/1/d.png");
        var records = DatasetReader.Read(
            new DatasetEntry
            {
                Name = "a",
                Layout = "amil-data",
                Root = root,
            },
            root
        );
        Assert.Equal(["benign", "benign", "malignant", "malignant"], records.Select(r => r.Label).Order());
        Assert.Equal(2, records.Count(r => r.Split == "test"));
        var split = DatasetSplit.Create(records, 0.25, 0.0, 1);
        Assert.Equal(2, split.Test.Count);

        File.WriteAllBytes(Path.Combine(root, "40X", "stray.png"), [1]);
        Assert.Contains(
            "stray.png",
            Assert
                .Throws<DatasetException>(() =>
                    DatasetReader.Read(
                        new DatasetEntry
                        {
                            Name = "a",
                            Layout = "amil-data",
                            Root = root,
                        },
                        root
                    )
                )
                .Message
        );
    }
}

public class BachLayoutTests
{
    private static string Generate(int count = 8)
    {
        var root = TestTemp.Folder("amil-bach-").FullName;
        SyntheticHistology.Generate(
            root,
            new SyntheticOptions(SyntheticKind.Bach, count, 1) { Width = 128, Height = 96 }
        );
        return root;
    }

    [Fact]
    public void SyntheticBachIsWrittenInTheBachLayoutWithGroundTruthAndMasks()
    {
        var root = Generate();
        var photos = Path.Combine(root, "ICIAR2018_BACH_Challenge", "Photos");
        Assert.True(File.Exists(Path.Combine(photos, "Normal", "n001.tif")));
        Assert.True(File.Exists(Path.Combine(photos, "InSitu", "is002.tif")));
        Assert.Contains("iv001.tif,Invasive", File.ReadAllLines(Path.Combine(photos, "microscopy_ground_truth.csv")));

        var entry = new DatasetEntry
        {
            Name = "b",
            Layout = "bach",
            Root = root,
        };
        var records = DatasetReader.Read(entry, root);
        Assert.Equal(8, records.Count);
        Assert.Equal(["Benign", "InSitu", "Invasive", "Normal"], records.Select(r => r.Label).Distinct().Order());
        Assert.All(records, r => Assert.True(File.Exists(r.MaskPath)));
        Assert.Equal((128, 96), Amil.MLNet.Transforms.Images.RgbImageReader.ReadSize(records[0].Path));
        // The root may also be the Photos folder itself.
        Assert.Equal(8, DatasetReader.Read(entry, photos).Count);
    }

    [Fact]
    public void BachGroundTruthDisagreeingWithFoldersIsAnError()
    {
        var root = Generate();
        var csv = Path.Combine(root, "ICIAR2018_BACH_Challenge", "Photos", "microscopy_ground_truth.csv");
        File.WriteAllText(csv, File.ReadAllText(csv).Replace("n001.tif,Normal", "n001.tif,Benign"));
        var e = Assert.Throws<DatasetException>(() =>
            DatasetReader.Read(
                new DatasetEntry
                {
                    Name = "b",
                    Layout = "bach",
                    Root = root,
                },
                root
            )
        );
        Assert.Contains("n001.tif", e.Message);
    }

    [Fact]
    public void UnknownBachClassFolderIsNamed()
    {
        var root = Generate();
        var odd = Path.Combine(root, "ICIAR2018_BACH_Challenge", "Photos", "Carcinoma");
        Directory.CreateDirectory(odd);
        var e = Assert.Throws<DatasetException>(() =>
            DatasetReader.Read(
                new DatasetEntry
                {
                    Name = "b",
                    Layout = "bach",
                    Root = root,
                },
                root
            )
        );
        Assert.Contains("Carcinoma", e.Message);
    }
}
