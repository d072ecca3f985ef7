using Amil.MLNet.Application;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Slides;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>BRACS's whole slides as downloaded, proved on a cohort written in its exact layout (SyntheticBracs):
/// split, group and type folders, Aperio SVS, the seven subtypes or the three groups, the official split; then
/// training from the CLI.</summary>
public sealed class BracsTests
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var root = TestTemp.Folder("bracs").FullName;
        SyntheticBracs.Generate(root, perType: 1, seed: 2, width: 1024, height: 768);
        return root;
    });

    private static DatasetEntry Entry(string? task = null) =>
        new()
        {
            Name = "bracs",
            Layout = "bracs",
            Root = Root.Value,
            Task = task,
        };

    [Fact]
    public void SubtypesGroupsAndTheOfficialSplitAreRead()
    {
        var subtypes = DatasetReader.ReadSlides(Entry(), Root.Value);

        Assert.Equal(21, subtypes.Count);
        Assert.Equal(
            ["ADH", "DCIS", "FEA", "IC", "N", "PB", "UDH"],
            subtypes.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal)
        );
        Assert.All(subtypes, r => Assert.Contains($"Type_{r.Label}", r.Path));
        var split = DatasetSplit.For(subtypes, Entry());
        Assert.Equal((7, 7, 7), (split.Train.Count, split.Validation.Count, split.Test.Count));
        Assert.All(
            split.Test,
            r => Assert.Contains($"{Path.DirectorySeparatorChar}test{Path.DirectorySeparatorChar}", r.Path)
        );
        using var slide = SlideImage.Open(subtypes[0].Path);
        Assert.Equal(
            ("aperio", 0.25, 40.0),
            (slide.Properties.Vendor, slide.Properties.MicronsPerPixel!.Value, slide.Properties.ObjectivePower!.Value)
        );

        var groups = DatasetReader.ReadSlides(Entry("group"), Root.Value);
        Assert.Equal(
            new Dictionary<string, int>
            {
                ["atypical"] = 6,
                ["benign"] = 9,
                ["malignant"] = 6,
            },
            groups.GroupBy(r => r.Label).ToDictionary(g => g.Key, g => g.Count())
        );
        // The default map shows the malignant classes.
        Assert.Equal(["DCIS", "IC"], TumourClasses.Of(["ADH", "DCIS", "FEA", "IC", "N", "PB", "UDH"]));
        Assert.Equal(["malignant"], TumourClasses.Of(["atypical", "benign", "malignant"]));
    }

    [Fact]
    public void ASlideOutsideTheClassFoldersAndAWrongTaskAreRefused()
    {
        var root = TestTemp.Folder("bracs-bad").FullName;
        var folder = Directory.CreateDirectory(Path.Combine(root, "train", "Group_AT", "Type_DCIS")).FullName;
        File.WriteAllBytes(Path.Combine(folder, "BRACS_1.svs"), []);
        var entry = new DatasetEntry
        {
            Name = "bracs",
            Layout = "bracs",
            Root = root,
        };
        Assert.Contains(
            "not in a BRACS class folder",
            Assert.Throws<DatasetException>(() => DatasetReader.ReadSlides(entry, root)).Message
        );

        var problems = new List<string>();
        DatasetRegistry.Check(
            new DatasetEntry
            {
                Name = "x",
                Layout = "wsi",
                Root = root,
                Task = "group",
            },
            "x",
            problems
        );
        DatasetRegistry.Check(
            new DatasetEntry
            {
                Name = "y",
                Layout = "bracs",
                Root = root,
                Task = "binary",
            },
            "y",
            problems
        );
        Assert.Equal(2, problems.Count);
        Assert.Contains("needs layout bracs", problems[0]);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void TheCohortTrainsInThreeGroupsFromTheCli()
    {
        var folder = TestTemp.Folder("bracs-cli").FullName;
        var datasets = Path.Combine(folder, "datasets.json");
        File.WriteAllText(
            datasets,
            $$"""
            { "datasets": { "bracs-groups": { "layout": "bracs", "root": "{{Root.Value}}", "task": "group" } } }
            """
        );
        var run = Path.Combine(folder, "run");
        var (exit, stdout, stderr) = Programs.Amil(
            "train",
            "--datasets",
            datasets,
            "--dataset",
            "bracs-groups",
            "--encoder",
            "resnet18",
            "--epochs",
            "1",
            "--tile-size",
            "64",
            "--out",
            run,
            "--feature-cache",
            Path.Combine(folder, "cache")
        );
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("classes atypical/benign/malignant; train 7, validation 7, test 7", stdout);
        Assert.Contains("\"auc\"", File.ReadAllText(Path.Combine(run, "metrics.json")));
    }
}
