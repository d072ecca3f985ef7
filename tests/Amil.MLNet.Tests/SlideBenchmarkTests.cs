using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Application;
using Amil.MLNet.Application.Study;
using Amil.MLNet.Maps.Metrics;
using Amil.MLNet.Slides;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>synthetic-wsi-hard and CAMELYON16's protocol: lesion size classes, isolated tumour cells left out of the
/// FROC, the hard slides' plan, and the study on a slide dataset.</summary>
public class SlideBenchmarkTests
{
    [Theory]
    [InlineData(10, "itc")]
    [InlineData(199.9, "itc")]
    [InlineData(200, "micro")]
    [InlineData(2000, "micro")]
    [InlineData(2000.1, "macro")]
    public void LesionsAreClassedByTheirLongestDiameter(double microns, string expected) =>
        Assert.Equal(expected, LesionSizes.Name(LesionSizes.Of(microns)));

    [Fact]
    public void TheLongestDiameterIsTheRegionsGreatestExtentInAnyDirection()
    {
        // Region 0: a 30 × 40 pixel rectangle (diagonal 50); region 1: one pixel; scaled by 2 µm per pixel.
        int width = 64,
            height = 48;
        var labels = Enumerable.Repeat(-1, width * height).ToArray();
        for (int y = 2; y < 42; y++)
        for (int x = 3; x < 33; x++)
            labels[y * width + x] = 0;
        labels[45 * width + 60] = 1;

        var longest = LesionSizes.LongestDiameters(labels, width, 2, 2, 2);

        Assert.InRange(longest[0], 100 * 0.999, 100);
        Assert.InRange(longest[1], 2, 2 * Math.Sqrt(2) + 1e-9);
    }

    [Fact]
    public void AnUncountedLesionIsNeitherAHitNorAMissNorAFalsePositive()
    {
        // Lesion 1 is isolated tumour cells: its detections leave the curve and it leaves the count.
        var counted = new SlideDetections([new(0.9, 1), new(0.8, 0), new(0.7, null)], 2)
        {
            Uncounted = new HashSet<int> { 1 },
        };
        var result = Froc.Compute([counted]);
        Assert.Equal([(0.0, 1.0), (1.0, 1.0)], result.Points);
        Assert.Equal(1.0, result.Score, 9);

        // Counted, the same detection is a hit and the other lesion's share halves the sensitivity.
        var all = Froc.Compute([counted with { Uncounted = new HashSet<int>() }]);
        Assert.Equal([(0.0, 0.5), (0.0, 1.0), (1.0, 1.0)], all.Points);

        // Only uncounted lesions: nothing to measure, said plainly.
        var none = counted with
        {
            Uncounted = new HashSet<int> { 0, 1 },
        };
        Assert.Throws<ArgumentException>(() => Froc.Compute([none]));
    }

    [Fact]
    public void HardSlidesPlanLesionsOfEverySizeOnTumourSlidesAndTheSameMimicsOnEverySlide()
    {
        var measured = new List<LesionSize>();
        int normalMimics = 0,
            tumourMimics = 0;
        for (int i = 0; i < 24; i++)
        {
            var normal = HardSlidePlan.Plan(8192, 6144, tumour: false, seed: 100 + i);
            Assert.Empty(normal.Foci);
            Assert.DoesNotContain(normal.Mask(16).Pixels, p => p != 0); // mimics are never tumour
            normalMimics += normal.MimicCount;

            var tumour = HardSlidePlan.Plan(8192, 6144, tumour: true, seed: 200 + i);
            Assert.NotEmpty(tumour.Foci);
            tumourMimics += tumour.MimicCount;
            // Sized from the mask as the protocol sizes them (16× down: 8 µm per mask pixel).
            var mask = tumour.Mask(16);
            var lesions = SlideLocalization.Lesions(mask, out int count);
            var labels = lesions.Select(l => l ?? -1).ToArray();
            var sizes = LesionSizes.LongestDiameters(labels, mask.Width, count, 8, 8).Select(LesionSizes.Of).ToList();
            // Every tumour slide has a micro- or macro-metastasis (no slide of isolated tumour cells only).
            Assert.Contains(sizes, s => s != LesionSize.IsolatedTumourCells);
            measured.AddRange(sizes);
        }
        Assert.All(Enum.GetValues<LesionSize>(), size => Assert.Contains(size, measured));
        // Mimics do not tell the class: about as many on normal as on tumour slides.
        Assert.InRange(normalMimics, tumourMimics * 0.6, tumourMimics * 1.6);
    }

    [Fact]
    public void FortyPercentOfTheHardSetCarryTumourAndTheBasicSetEveryOtherSlide()
    {
        var root = TestTemp.Folder("wsi-hard-small").FullName;
        SyntheticSlides.Generate(
            root,
            new SyntheticSlideOptions(5, 1)
            {
                Width = 512,
                Height = 384,
                Set = SyntheticSlideSet.Hard,
            }
        );
        var labels = File.ReadAllLines(Path.Combine(root, SyntheticSlides.ListFile)).Skip(1).ToList();
        Assert.Equal(5, labels.Count);
        Assert.Equal(2, labels.Count(l => l.EndsWith(",tumor", StringComparison.Ordinal)));

        var basic = TestTemp.Folder("wsi-basic-small").FullName;
        SyntheticSlides.Generate(basic, new SyntheticSlideOptions(4, 1) { Width = 512, Height = 384 });
        Assert.Equal(
            ["slide_id,label", "normal_001,normal", "tumor_002,tumor", "normal_003,normal", "tumor_004,tumor"],
            File.ReadAllLines(Path.Combine(basic, SyntheticSlides.ListFile))
        );
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void TheStudyTrainsEveryPoolingOnSlidesAndSummarisesTheSlideMeasures()
    {
        var dir = TestTemp.Folder("slide-study").FullName;
        var root = Path.Combine(dir, "slides");
        SyntheticSlides.Generate(root, new SyntheticSlideOptions(8, 2) { Width = 1536, Height = 1024 });
        var datasetsFile = Path.Combine(dir, "datasets.json");
        File.WriteAllText(
            datasetsFile,
            """
            {
              "default": "tiny-wsi",
              "datasets": {
                "tiny-wsi": {
                  "layout": "wsi",
                  "root": "slides",
                  "split": { "test_fraction": 0.25, "validation_fraction": 0, "seed": 1 },
                  "patches": { "crop": "none", "size": 224, "stride": 224 }
                }
              }
            }
            """
        );
        var settings = new StudySettings
        {
            Datasets = ["tiny-wsi"],
            DatasetsFile = datasetsFile,
            Methods = [Heads.Attention, Heads.Find("dsmil"), Heads.Find("cnn")],
            Seeds = [1],
            Epochs = 2,
            OutDirectory = Path.Combine(dir, "study"),
            FeatureCacheFolder = Path.Combine(dir, "cache"),
        };
        var lines = new List<string>();
        var summary = StudyJob.Run(settings, lines.Add);

        var result = Assert.Single(summary.Datasets);
        Assert.Equal(("slides", 2), (result.Unit, result.TestImages));
        Assert.Equal(StudySummary.SlideColumns, result.Columns);
        Assert.Equal(
            [
                "attention: attention",
                "attention: attention × p(tumor)",
                "dsmil: instance-score",
                "dsmil: instance-score of tumor",
            ],
            result.Methods.Select(m => m.Method)
        );
        Assert.Contains(lines, l => l.Contains("the CNN baseline is left out", StringComparison.Ordinal));
        foreach (var m in result.Methods)
        {
            Assert.InRange(m.Values["FROC"]!.Mean, 0, 1);
            Assert.InRange(m.Values["tile AUROC"]!.Mean, 0, 1);
        }
        var markdown = File.ReadAllText(Path.Combine(settings.OutDirectory, StudyJob.MarkdownFile));
        Assert.Contains("2 test slides", markdown);
        Assert.Contains("| method | slide accuracy | slide AUC | tile AUROC | tile AP | FROC |", markdown);

        // Run again: the models and the comparison are reused, and the summary is the same.
        lines.Clear();
        var again = StudyJob.Run(settings, lines.Add);
        Assert.Contains(lines, l => l.Contains("comparison finished earlier; reused", StringComparison.Ordinal));
        Assert.Equal(
            result.Methods.Select(m => m.Values["FROC"]!.Mean),
            Assert.Single(again.Datasets).Methods.Select(m => m.Values["FROC"]!.Mean)
        );
    }
}
