using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Data.Synthetic;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>TCGA slides as the GDC delivers them, proved on a cohort written in that shape (SyntheticTcga):
/// barcode-named .svs in UUID folders, labels joined on the patient barcode, several slides per patient, normal
/// samples and unlabelled patients left out; GDC's clinical.tsv as the table; then datasets check and training from
/// the CLI.</summary>
public sealed class TcgaTests
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var root = TestTemp.Folder("tcga").FullName;
        SyntheticTcga.Generate(root, patients: 6, seed: 4, width: 1024, height: 768);
        return root;
    });

    private static DatasetEntry Entry(string root, string? labels = null, string? column = null) =>
        new()
        {
            Name = "tcga",
            Layout = "tcga",
            Root = root,
            Labels = labels,
            LabelColumn = column,
        };

    [Fact]
    public void SlidesAreJoinedToTheirPatientsLabels()
    {
        var log = new List<string>();
        var records = DatasetReader.ReadSlides(Entry(Root.Value), Root.Value, log.Add);

        Assert.Equal(7, records.Count); // 9 slides: one normal sample and one unlabelled patient's left out
        Assert.Equal(5, records.Select(r => r.Patient).Distinct().Count());
        Assert.All(records, r => Assert.StartsWith(r.Patient!, Path.GetFileName(r.Path)));
        Assert.Equal(["ductal", "ductal"], records.Where(r => r.Patient == "TCGA-A0-A000").Select(r => r.Label));
        Assert.Contains(log, l => l.Contains("Left out 1 slides of normal or control samples"));
        Assert.Contains(log, l => l.Contains("1 patients with no label") && l.Contains("TCGA-F5-A005"));
        var split = DatasetSplit.For(records, Entry(Root.Value));
        var test = split.Test.Select(r => r.Patient).ToHashSet();
        Assert.DoesNotContain(split.Train.Concat(split.Validation), r => test.Contains(r.Patient));
    }

    [Fact]
    public void AGdcClinicalTableWithAnyLabelColumnIsRead()
    {
        var root = TestTemp.Folder("tcga-clinical").FullName;
        var folder = Directory.CreateDirectory(Path.Combine(root, "0a1b")).FullName;
        File.WriteAllBytes(Path.Combine(folder, "TCGA-AR-A1AR-01Z-00-DX1.0A1B.svs"), []);
        File.WriteAllBytes(Path.Combine(folder, "tcga-ar-a1as-01Z-00-DX1.0A1C.svs"), []);
        var clinical = Path.Combine(root, "clinical.tsv");
        File.WriteAllText(
            clinical,
            "case_id\tcase_submitter_id\tprimary_diagnosis\n"
                + "x\tTCGA-AR-A1AR\t\"Infiltrating duct carcinoma, NOS\"\n"
                + "x\tTCGA-AR-A1AR\t\"Infiltrating duct carcinoma, NOS\"\n"
                + "y\tTCGA-AR-A1AS\t'--\n"
        );
        var log = new List<string>();

        var records = TcgaLayout.Read(root, Entry(root, "clinical.tsv", "primary_diagnosis"), log.Add);

        var only = Assert.Single(records);
        Assert.Equal(("TCGA-AR-A1AR", "Infiltrating duct carcinoma, NOS"), (only.Patient, only.Label));
        Assert.Contains(log, l => l.Contains("TCGA-AR-A1AS")); // "'--" is GDC's empty value: no label

        File.AppendAllText(clinical, "z\tTCGA-AR-A1AR\tLobular carcinoma, NOS\n");
        Assert.Contains(
            "line 5: patient TCGA-AR-A1AR is labelled both",
            Assert
                .Throws<DatasetException>(() => TcgaLayout.Read(root, Entry(root, "clinical.tsv", "primary_diagnosis")))
                .Message
        );
        Assert.Contains(
            "label column 'subtype'",
            Assert.Throws<DatasetException>(() => TcgaLayout.Read(root, Entry(root, "clinical.tsv", "subtype"))).Message
        );
        Assert.Contains(
            "no labels table at",
            Assert.Throws<DatasetException>(() => TcgaLayout.Read(root, Entry(root))).Message
        );
        File.WriteAllLines(clinical, File.ReadAllLines(clinical).Take(4)); // the conflicting row gone
        File.WriteAllBytes(Path.Combine(folder, "slide_7.svs"), []);
        Assert.Contains(
            "not named by a TCGA barcode",
            Assert
                .Throws<DatasetException>(() => TcgaLayout.Read(root, Entry(root, "clinical.tsv", "primary_diagnosis")))
                .Message
        );
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void TheCohortPassesDatasetsCheckAndTrainsFromTheCli()
    {
        var (exit, stdout, stderr) = Programs.Amil("datasets", "check", "--data", Root.Value, "--layout", "tcga");
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("7 slides under", stdout);
        Assert.Contains("patients: 5", stdout);

        var folder = TestTemp.Folder("tcga-run").FullName;
        (exit, stdout, stderr) = Programs.Amil(
            "train",
            "--data",
            Root.Value,
            "--layout",
            "tcga",
            "--encoder",
            "resnet18",
            "--epochs",
            "1",
            "--tile-size",
            "64",
            "--out",
            Path.Combine(folder, "run"),
            "--feature-cache",
            Path.Combine(folder, "cache")
        );
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("classes ductal/lobular", stdout);
        Assert.Contains("\"patients\"", File.ReadAllText(Path.Combine(folder, "run", "metrics.json")));
    }
}
