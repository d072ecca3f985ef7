using Amil.MLNet.Application;
using Amil.MLNet.Application.Jobs;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Slides;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>CAMELYON16 as downloaded, proved on a cohort written in its exact layout (SyntheticCamelyon16): class
/// folders and names, testing/reference.csv, ASAP XML outlines with the _2 exclusion, scale only in the TIFF
/// resolution tags (centimetres), the official split; then datasets check, training and the slide protocol from the
/// CLI.</summary>
public sealed class Camelyon16Tests
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var root = TestTemp.Folder("camelyon16").FullName;
        SyntheticCamelyon16.Generate(root, training: 6, testing: 4, seed: 3, width: 2048, height: 1536);
        return root;
    });

    private static DatasetEntry Entry =>
        new()
        {
            Name = "camelyon16",
            Layout = "camelyon16",
            Root = Root.Value,
        };

    [Fact]
    public void TheLayoutReadsClassesTheOfficialSplitAndTheOutlines()
    {
        var records = DatasetReader.ReadSlides(Entry, Root.Value);

        var train = records.Where(r => r.Split == "train").ToList();
        var test = records.Where(r => r.Split == "test").ToList();
        Assert.Equal(6, train.Count);
        Assert.Equal(4, test.Count);
        Assert.All(train, r => Assert.StartsWith(r.Label + "_", Path.GetFileName(r.Path)));
        Assert.Equal(["normal", "tumor", "normal", "tumor"], test.Select(r => r.Label));
        Assert.All(records, r => Assert.Equal(r.Label == "tumor", r.MaskPath?.EndsWith(".xml") == true));
        Assert.Contains(test, r => r.MaskPath?.Contains(Path.Combine("testing", "lesion_annotations")) == true);

        // The scale is only in the resolution tags, in pixels per centimetre: the two centres' 0.243 and 0.226.
        using var first = SlideImage.Open(records[0].Path);
        using var second = SlideImage.Open(records[1].Path);
        Assert.Equal(0.243, first.Properties.MicronsPerPixel!.Value, 3);
        Assert.Equal(0.226, second.Properties.MicronsPerPixel!.Value, 3);
    }

    [Fact]
    public void TheExclusionGroupIsCutOutOfTheTumourMask()
    {
        var tumour = DatasetReader.ReadSlides(Entry, Root.Value).First(r => r.Label == "tumor");
        using var slide = SlideImage.Open(tumour.Path);
        var regions = AnnotationMask.Read(tumour.MaskPath!);
        var exclusion = Assert.Single(regions.Exclusion);
        Assert.Equal("_2", exclusion.Name);
        Assert.Contains(regions.Tumour, r => r.Name == "_0");

        var mask = AnnotationMask.Rasterize(tumour.MaskPath!, slide.Width, slide.Height, longSide: slide.Width);
        var ring = exclusion.Rings[0];
        double cx = ring.Average(p => p.X),
            cy = ring.Average(p => p.Y),
            radius = ring.Max(p => p.X) - cx;
        Assert.Equal(0, Red(mask, cx, cy)); // the _2 centre: left out
        Assert.Equal(255, Red(mask, cx + 1.5 * radius, cy)); // just outside it, inside the lesion
    }

    [Fact]
    public void GeoJsonExclusionClassesAndBadAsapFilesAreHandled()
    {
        var folder = TestTemp.Folder("annotation-kinds").FullName;
        var geojson = Path.Combine(folder, "slide.geojson");
        File.WriteAllText(
            geojson,
            """
            {"type":"FeatureCollection","features":[
             {"type":"Feature","properties":{"classification":{"name":"Tumor"}},
              "geometry":{"type":"Polygon","coordinates":[[[10,10],[90,10],[90,90],[10,90],[10,10]]]}},
             {"type":"Feature","properties":{"classification":{"name":"Ignore*"}},
              "geometry":{"type":"Polygon","coordinates":[[[40,40],[60,40],[60,60],[40,60],[40,40]]]}}]}
            """
        );
        var mask = AnnotationMask.Rasterize(geojson, 100, 100);
        Assert.Equal(0, Red(mask, 50, 50));
        Assert.Equal(255, Red(mask, 20, 50));

        var wrongRoot = Path.Combine(folder, "wrong.xml");
        File.WriteAllText(wrongRoot, "<Annotations><Annotation/></Annotations>");
        Assert.Contains(
            "neither ImageScope's annotation XML nor ASAP's",
            Assert.Throws<InvalidDataException>(() => AnnotationMask.Rasterize(wrongRoot, 100, 100)).Message
        );
        var badNumber = Path.Combine(folder, "bad.xml");
        File.WriteAllText(
            badNumber,
            """
            <ASAP_Annotations><Annotations>
            <Annotation Name="A" Type="Polygon" PartOfGroup="_0"><Coordinates>
            <Coordinate Order="0" X="1" Y="1"/><Coordinate Order="1" X="abc" Y="1"/><Coordinate Order="2" X="1" Y="9"/>
            </Coordinates></Annotation></Annotations></ASAP_Annotations>
            """
        );
        var error = Assert.Throws<InvalidDataException>(() => AnnotationMask.Rasterize(badNumber, 100, 100));
        Assert.Contains("X=\"abc\", not a number", error.Message);
        Assert.Contains("line 3", error.Message);

        // A decimal comma reads as a point.
        var comma = Path.Combine(folder, "comma.xml");
        File.WriteAllText(
            comma,
            """
            <ASAP_Annotations><Annotations>
            <Annotation Name="A" Type="Polygon" PartOfGroup="Tumor"><Coordinates>
            <Coordinate Order="0" X="10,5" Y="10"/><Coordinate Order="1" X="90" Y="10"/>
            <Coordinate Order="2" X="90" Y="90"/><Coordinate Order="3" X="10" Y="90,25"/>
            </Coordinates></Annotation></Annotations></ASAP_Annotations>
            """
        );
        Assert.Equal(255, Red(AnnotationMask.Rasterize(comma, 100, 100), 50, 50));
    }

    [Fact]
    public void ACohortTableGivesPathsPatientsAndTheSplit()
    {
        // Any cohort as a table (the wsi layout's slides.csv): path instead of slide_id, patient, split.
        var slides = DatasetReader.ReadSlides(Entry, Root.Value).Take(4).ToList();
        var root = TestTemp.Folder("cohort-table").FullName;
        var table = Path.Combine(root, "slides.csv");
        File.WriteAllText(
            table,
            "path,label,patient,split\n"
                + string.Join(
                    "\n",
                    slides.Select(
                        (r, i) => $"{r.Path},{r.Label},P{i / 2},{(i < 2 ? "train" : i == 2 ? "validation" : "test")}"
                    )
                )
        );
        var entry = new DatasetEntry
        {
            Name = "cohort",
            Layout = "wsi",
            Root = root,
        };

        var records = DatasetReader.ReadSlides(entry, root);

        Assert.Equal(slides.Select(r => r.Path), records.Select(r => r.Path));
        Assert.Equal(["P0", "P0", "P1", "P1"], records.Select(r => r.Patient));
        var split = DatasetSplit.For(records, entry);
        Assert.Equal((2, 1, 1), (split.Train.Count, split.Validation.Count, split.Test.Count));

        File.AppendAllText(table, $"\n{slides[0].Path},normal,P9,");
        Assert.Contains(
            "4 of 5 slides have a split",
            Assert.Throws<DatasetException>(() => DatasetReader.ReadSlides(entry, root)).Message
        );
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void TheCohortPassesDatasetsCheckAndTrainsWithItsProtocolFromTheCli()
    {
        var (exit, stdout, stderr) = Programs.Amil("datasets", "check", "--data", Root.Value, "--layout", "camelyon16");
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("10 slides under", stdout);
        Assert.Contains("masks: 5 of 10 slides", stdout);
        Assert.Contains("test 4", stdout);

        var run = Path.Combine(TestTemp.Folder("camelyon16-run").FullName, "run");
        (exit, stdout, stderr) = Programs.Amil([
            "train",
            "--data",
            Root.Value,
            "--layout",
            "camelyon16",
            "--encoder",
            "resnet18",
            "--epochs",
            "1",
            "--out",
            run,
            "--feature-cache",
            Path.Combine(Root.Value, "cache"),
            "--quality-control",
        ]);
        Assert.True(exit == 0, stderr + stdout);
        var metrics = File.ReadAllText(Path.Combine(run, "metrics.json"));
        // Quality control's outcome for every slide of the run, and its section in report.html.
        var quality = Application.Runs.QualityReport.Read(run)!;
        Assert.Equal(10, quality.Count);
        Assert.All(quality, s => Assert.True(s.Quality!.TissueTiles > 0));
        Assert.Contains(
            "<h2>Tile quality control (10 slides)</h2>",
            File.ReadAllText(Path.Combine(run, "report.html"))
        );
        Assert.Contains("\"auc\"", metrics); // slide AUC on the 4 official test slides
        // Lesion FROC and tile AUROC against the outlines, _2 left out.
        var localization = File.ReadAllText(Path.Combine(run, "localization.json"));
        Assert.Contains("\"froc\"", localization);
        // report.html's localization table carries the intervals too.
        Assert.Contains("resamples of whole slides", File.ReadAllText(Path.Combine(run, "report.html")));
        var card = File.ReadAllText(Path.Combine(run, "model_card.md"));
        Assert.Contains("## Localization against masks (slides)", card);
        Assert.Contains("## Results on the test split (4 slides)", card);
        using var json = System.Text.Json.JsonDocument.Parse(localization);
        Assert.Equal("slide", json.RootElement.GetProperty("bootstrap").GetProperty("by").GetString());
        foreach (var method in json.RootElement.GetProperty("methods").EnumerateArray())
        {
            double froc = method.GetProperty("froc").GetDouble();
            var interval = method.GetProperty("intervals").GetProperty("froc");
            Assert.InRange(froc, interval[0].GetDouble(), interval[1].GetDouble());
        }

        // A slide with no scale at all is listed by datasets check, naming what is missing.
        var broken = Path.Combine(Root.Value, "..", "camelyon16-noscale");
        SyntheticCamelyon16.Generate(broken, training: 2, testing: 2, seed: 4, width: 512, height: 512);
        var slide = Directory.EnumerateFiles(broken, "normal_001.tif", SearchOption.AllDirectories).Single();
        PyramidalTiff.Write(slide, 512, 512, (_, _, _, w, h) => new(w, h, new byte[w * h * 3]), new());
        (exit, stdout, _) = Programs.Amil("datasets", "check", "--data", broken, "--layout", "camelyon16");
        Assert.Equal(1, exit);
        Assert.Contains("neither its µm per pixel nor its objective power", stdout);
    }

    private static int Red(Transforms.Images.RgbImage mask, double level0X, double level0Y)
    {
        int x = (int)level0X,
            y = (int)level0Y;
        return mask.Pixels[(y * mask.Width + x) * 3];
    }
}
