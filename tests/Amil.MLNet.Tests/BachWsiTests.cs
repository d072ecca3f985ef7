using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Slides;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>BACH's whole slides as downloaded, proved on a cohort written in their layout (SyntheticBachWsi): Aperio
/// SVS in WSI/, ImageScope XML regions beside the annotated ones, each slide labelled by its most severe region, the
/// regions its tumour mask; then datasets check and training from the CLI.</summary>
public sealed class BachWsiTests
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var root = TestTemp.Folder("bach-wsi").FullName;
        SyntheticBachWsi.Generate(root, perClass: 2, seed: 3, width: 1024, height: 768);
        return root;
    });

    private static DatasetEntry Entry(string root) =>
        new()
        {
            Name = "bach-wsi",
            Layout = "bach-wsi",
            Root = root,
        };

    [Fact]
    public void SlidesTakeTheirMostSevereRegionAndTheUnannotatedOneIsLeftOut()
    {
        var log = new List<string>();
        var slides = DatasetReader.ReadSlides(Entry(Root.Value), Root.Value, log.Add);

        Assert.Equal(8, slides.Count);
        Assert.Equal(
            ["Normal", "Normal", "Benign", "Benign", "InSitu", "InSitu", "Invasive", "Invasive"],
            slides.Select(s => s.Label)
        );
        Assert.All(slides, s => Assert.Equal(Path.ChangeExtension(s.Path, ".xml"), s.MaskPath));
        Assert.Contains(log, l => l.Contains("Left out 1 slide(s) without annotation XML") && l.Contains("A09.svs"));
        using var slide = SlideImage.Open(slides[0].Path);
        Assert.Equal(("aperio", 0.467), (slide.Properties.Vendor, slide.Properties.MicronsPerPixel!.Value));
        // The root may also be the challenge folder or WSI/ itself.
        var wsi = Path.Combine(Root.Value, "ICIAR2018_BACH_Challenge", "WSI");
        Assert.Equal(8, DatasetReader.ReadSlides(Entry(wsi), wsi).Count);
    }

    [Fact]
    public void CarcinomaRegionsAreTumourAndBenignOnesAreNot()
    {
        var slides = DatasetReader.ReadSlides(Entry(Root.Value), Root.Value);
        var invasive = slides.First(s => s.Label == "Invasive").MaskPath!;
        var regions = AnnotationMask.RegionClasses(invasive);
        Assert.Contains("Benign", regions);
        Assert.Contains("Invasive carcinoma", regions);

        // The Benign region SyntheticBachWsi writes (centre 0.2 w, 0.8 h) is not tumour; the foci are.
        var mask = AnnotationMask.Rasterize(invasive, 1024, 768, longSide: 1024);
        Assert.Equal(0, mask.Pixels[((int)(0.8 * 768) * 1024 + (int)(0.2 * 1024)) * 3]);
        Assert.True(mask.Pixels.Where((_, i) => i % 3 == 0).Count(p => p > 127) > 100);
        var benign = slides.First(s => s.Label == "Benign").MaskPath!;
        Assert.All(AnnotationMask.Rasterize(benign, 1024, 768, longSide: 256).Pixels, p => Assert.Equal(0, p));
    }

    [Fact]
    public void ImageScopeVariantsReadAndBadFilesAreNamed()
    {
        var folder = TestTemp.Folder("bach-wsi-xml").FullName;
        var xml = Path.Combine(folder, "A01.xml");
        // Class in the region's Text (no attributes), a negative region cut out of the tumour, a decimal comma.
        File.WriteAllText(
            xml,
            """
            <Annotations MicronsPerPixel="0.467"><Annotation Id="1"><Regions>
              <Region Id="1" Text="In situ" NegativeROA="0"><Vertices>
                <Vertex X="0" Y="0"/><Vertex X="100" Y="0"/><Vertex X="100" Y="100"/><Vertex X="0" Y="100"/>
              </Vertices></Region>
              <Region Id="2" Text="" NegativeROA="1"><Vertices>
                <Vertex X="40,5" Y="40"/><Vertex X="60" Y="40"/><Vertex X="60" Y="60"/><Vertex X="40" Y="60"/>
              </Vertices></Region>
            </Regions></Annotation></Annotations>
            """
        );
        Assert.Equal("InSitu", BachWsiLayout.LabelOf(xml));
        var mask = AnnotationMask.Rasterize(xml, 100, 100);
        Assert.Equal(255, mask.Pixels[(10 * 100 + 10) * 3]);
        Assert.Equal(0, mask.Pixels[(50 * 100 + 50) * 3]);

        File.WriteAllText(xml, File.ReadAllText(xml).Replace("In situ", "Necrosis"));
        Assert.Contains(
            "a region of class 'Necrosis', which is none of BACH's",
            Assert.Throws<DatasetException>(() => BachWsiLayout.LabelOf(xml)).Message
        );
        File.WriteAllText(xml, File.ReadAllText(xml).Replace("X=\"100\" Y=\"0\"", "X=\"a\" Y=\"0\""));
        Assert.Contains(
            "has X=\"a\", not a number",
            Assert.Throws<InvalidDataException>(() => AnnotationMask.Rasterize(xml, 100, 100)).Message
        );
        File.WriteAllText(xml, "<Other/>");
        Assert.Contains(
            "neither ASAP's <ASAP_Annotations> nor ImageScope's <Annotations>",
            Assert.Throws<InvalidDataException>(() => AnnotationMask.Rasterize(xml, 100, 100)).Message
        );

        var empty = TestTemp.Folder("bach-wsi-empty").FullName;
        Assert.Contains(
            "no ICIAR2018_BACH_Challenge/WSI/*.svs",
            Assert.Throws<DatasetException>(() => DatasetReader.ReadSlides(Entry(empty), empty)).Message
        );
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void TheCohortPassesDatasetsCheckAndTrainsFromTheCli()
    {
        var (exit, stdout, stderr) = Programs.Amil("datasets", "check", "--data", Root.Value, "--layout", "bach-wsi");
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("8 slides under", stdout);
        Assert.Contains("masks: 8 of 8 slides", stdout);

        var run = Path.Combine(TestTemp.Folder("bach-wsi-run").FullName, "run");
        (exit, stdout, stderr) = Programs.Amil([
            "train",
            "--data",
            Root.Value,
            "--layout",
            "bach-wsi",
            "--encoder",
            "resnet18",
            "--epochs",
            "1",
            "--tile-size",
            "64",
            "--out",
            run,
            "--feature-cache",
            Path.Combine(Root.Value, "cache"),
            "--stain",
            "macenko",
        ]);
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("classes Benign/InSitu/Invasive/Normal", stdout);
        // The reference is the most typical training slide (SlideStainTests: the model saves it and scores with it).
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        var stain = config.RootElement.GetProperty("stain");
        Assert.Equal("Macenko", stain.GetProperty("method").GetString());
        Assert.Contains("medoid of", stain.GetProperty("reference").GetString());
        Assert.Equal(8, stain.GetProperty("values").GetArrayLength());

        Assert.Contains("\"auc\"", File.ReadAllText(Path.Combine(run, "metrics.json")));
        Assert.True(File.Exists(Path.Combine(run, "localization.json")));
    }
}
