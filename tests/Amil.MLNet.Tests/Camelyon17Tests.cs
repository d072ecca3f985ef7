using System.Text.Json;
using Amil.MLNet.Application;
using Amil.MLNet.Application.Staging;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Data.Synthetic;
using Amil.MLNet.Maps.Metrics;
using Amil.MLNet.Slides;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>CAMELYON17 as downloaded, proved on a cohort written in its exact layout (SyntheticCamelyon17): nodes in
/// centre folders, stage_labels.csv with node labels and patient stages, ASAP XML outlines, unlabelled test patients;
/// the pN rules and the challenge's kappa; then datasets check, training, evaluation and the submission file from the
/// CLI.</summary>
public sealed class Camelyon17Tests
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var root = TestTemp.Folder("camelyon17").FullName;
        SyntheticCamelyon17.Generate(root, patients: 5, testPatients: 1, seed: 3, width: 1024, height: 768);
        return root;
    });

    private static DatasetEntry Entry(string root) =>
        new()
        {
            Name = "camelyon17",
            Layout = "camelyon17",
            Root = root,
        };

    [Fact]
    public void TheLayoutReadsNodesPatientsAndOutlinesAndLeavesOutTheUnlabelled()
    {
        var log = new List<string>();
        var records = DatasetReader.ReadSlides(Entry(Root.Value), Root.Value, log.Add);

        Assert.Equal(25, records.Count);
        Assert.Equal(5, records.Select(r => r.Patient).Distinct().Count());
        Assert.All(records, r => Assert.StartsWith(r.Patient + "_node_", Path.GetFileName(r.Path)));
        Assert.Equal(["macro", "micro", "negative", "micro", "macro"], Nodes(records, "patient_004"));
        Assert.Equal(["negative", "itc", "negative", "negative", "negative"], Nodes(records, "patient_001"));
        Assert.All(records, r => Assert.Equal(r.Label != "negative", r.MaskPath?.EndsWith(".xml") == true));
        Assert.Contains(log, l => l.Contains("Left out 5 slides of 1 patients"));
        Assert.DoesNotContain(log, l => l.Contains("but its node labels give"));
        // Splits keep a patient's nodes together.
        var split = DatasetSplit.For(records, Entry(Root.Value));
        var trainPatients = split.Train.Concat(split.Validation).Select(r => r.Patient).ToHashSet();
        Assert.DoesNotContain(split.Test, r => trainPatients.Contains(r.Patient));

        // Each centre's scale is in the resolution tags (pixels per centimetre): centre 2's scanner is 0.226 µm/px.
        var centre2 = records.First(r => r.Path.Contains("center_2"));
        using var slide = SlideImage.Open(centre2.Path);
        Assert.Equal(0.226, slide.Properties.MicronsPerPixel!.Value, 3);
        var outline = AnnotationMask.Read(records.First(r => r.Label == "macro").MaskPath!);
        Assert.Contains(outline.Tumour, r => r.Name == "metastases");
    }

    [Fact]
    public void TheTableIsCheckedAgainstTheFolderAndTheRules()
    {
        var root = TestTemp.Folder("camelyon17-table").FullName;
        var centre = Directory.CreateDirectory(Path.Combine(root, "training", "center_0")).FullName;
        foreach (var n in Enumerable.Range(0, 4))
            File.WriteAllBytes(Path.Combine(centre, $"patient_000_node_{n}.tif"), []);
        var table = Path.Combine(root, "training", "stage_labels.csv");
        File.WriteAllText(
            table,
            "patient,stage\npatient_000.zip,pN1\npatient_000_node_0.tif,negative\npatient_000_node_1.tif,micro\n"
                + "patient_000_node_2.tif,negative\npatient_000_node_3.tif,itc\npatient_000_node_4.tif,Negative\n"
        );
        var log = new List<string>();

        var records = Camelyon17Layout.Read(root, Entry(root), log.Add);

        Assert.Equal(4, records.Count);
        Assert.Contains(log, l => l.Contains("labels 1 nodes with no slide") && l.Contains("patient_000_node_4.tif"));
        Assert.Contains(log, l => l.Contains("gives patient_000 stage pN1, but its node labels give pN1mi"));

        File.AppendAllText(table, "patient_000_node_5.tif,large\n");
        var error = Assert.Throws<DatasetException>(() => Camelyon17Layout.Read(root, Entry(root)));
        Assert.Contains("line 8", error.Message);
        Assert.Contains("'patient_000_node_5.tif,large'", error.Message);

        File.WriteAllText(table, "patient,stage\npatient_000_node_0.tif,negative\n");
        File.WriteAllBytes(Path.Combine(centre, "slide_7.tif"), []);
        Assert.Contains(
            "not named patient_NNN_node_N.tif",
            Assert.Throws<DatasetException>(() => Camelyon17Layout.Read(root, Entry(root))).Message
        );
        File.Delete(table);
        Assert.Contains(
            "no stage_labels.csv",
            Assert.Throws<DatasetException>(() => Camelyon17Layout.Read(root, Entry(root))).Message
        );
    }

    [Theory]
    [InlineData("negative,negative,negative,negative,negative", "pN0")]
    [InlineData("itc,negative,itc,negative,negative", "pN0(i+)")]
    [InlineData("micro,itc,negative,negative,negative", "pN1mi")]
    [InlineData("micro,micro,micro,micro,itc", "pN1mi")] // no macro-metastasis: never pN1 or pN2
    [InlineData("macro,negative,negative,negative,negative", "pN1")]
    [InlineData("macro,micro,micro,itc,itc", "pN1")] // ITCs do not count as metastases
    [InlineData("macro,micro,micro,micro,negative", "pN2")]
    [InlineData("Macro,MACRO,macro,macro,macro", "pN2")]
    public void PatientsAreStagedByTheChallengesRules(string nodes, string stage) =>
        Assert.Equal(stage, NodeStaging.Stage(nodes.Split(',')));

    [Fact]
    public void QuadraticKappaMatchesValuesWorkedOutByHand()
    {
        Assert.Equal(1.0, NodeStaging.QuadraticKappa([0, 1, 2, 3, 4], [0, 1, 2, 3, 4], 5)!.Value, 12);
        // Uniform marginals, ratings reversed: observed Σ(i−j)² = 40, expected 100 / 5 = 20, so κ = 1 − 2 = −1.
        Assert.Equal(-1.0, NodeStaging.QuadraticKappa([0, 1, 2, 3, 4], [4, 3, 2, 1, 0], 5)!.Value, 12);
        // Two categories, where weighted and plain kappa agree: p_o = 0.75, p_e = 0.5, κ = 0.5.
        Assert.Equal(0.5, NodeStaging.QuadraticKappa([0, 0, 1, 1], [0, 1, 1, 1], 2)!.Value, 12);
        Assert.Null(NodeStaging.QuadraticKappa([2, 2], [2, 2], 5));
        Assert.Throws<ArgumentException>(() => NodeStaging.Stage(["negative", "tumor"]));
    }

    [Fact]
    public void StagingComesFromThePredictedNodesOfEachPatient()
    {
        string[] classes = ["negative", "itc", "micro", "macro"];
        // Patient A: truly pN1 (macro + micro), predicted pN1mi; B: pN0 both; C: pN0(i+) both.
        string?[] patients = ["A", "A", "A", "B", "B", "C"];
        int[] truth = [3, 2, 0, 0, 0, 1];
        int[] predicted = [2, 2, 0, 0, 0, 1];

        var staging = PatientStaging.Of(classes, patients, truth, predicted)!;

        Assert.Equal(3, staging.Patients);
        Assert.Equal(["pN1", "pN0", "pN0(i+)"], staging.PerPatient.Select(p => p.TrueStage));
        Assert.Equal(["pN1mi", "pN0", "pN0(i+)"], staging.PerPatient.Select(p => p.PredictedStage));
        Assert.Equal(2 / 3.0, staging.Agreement, 12);
        // Truth stages 3, 0, 1 and predictions 2, 0, 1: observed Σw = 1; expected Σ (i−j)² r_i c_j / 3 = 21/3 = 7.
        Assert.Equal(1 - 1 / 7.0, staging.Kappa!.Value, 12);
        Assert.Equal(1, staging.ConfusionMatrix[3][2]);
        Assert.Equal(3, staging.Incomplete);
        var interval = staging.Intervals!["agreement"];
        Assert.InRange(staging.Agreement, interval[0], interval[1]);
        Assert.Equal("patient", staging.Bootstrap!.By);

        Assert.Null(PatientStaging.Of(["normal", "tumor"], ["A"], [0], [0]));
        Assert.Null(PatientStaging.Of(classes, [null, "A"], [0, 0], [0, 0]));
    }

    [Fact]
    public void TheSubmissionFileStagesEachPatientFromItsPredictedNodes()
    {
        var folder = TestTemp.Folder("camelyon17-submission").FullName;
        string[] classes = ["negative", "itc", "micro", "macro"];
        var nodes = new[] { "macro", "negative", "micro", "negative", "negative" }
            .Select((label, n) => ($"/x/patient_120_node_{n}.tif", label))
            .Append(("/x/patient_101_node_0.tif", "itc"))
            .ToList();

        var path = StageSubmission.Write(folder, classes, nodes, _ => { });

        Assert.Equal(
            "patient,stage\npatient_101.zip,pN0(i+)\npatient_101_node_0.tif,itc\npatient_120.zip,pN1\n"
                + "patient_120_node_0.tif,macro\npatient_120_node_1.tif,negative\npatient_120_node_2.tif,micro\n"
                + "patient_120_node_3.tif,negative\npatient_120_node_4.tif,negative\n",
            File.ReadAllText(path!)
        );
        Assert.Null(StageSubmission.Write(folder, ["normal", "tumor"], nodes, _ => { }));
        Assert.Null(StageSubmission.Write(folder, classes, [("/x/tumor_001.tif", "macro")], _ => { }));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void TheCohortIsCheckedTrainedEvaluatedAndSubmittedFromTheCli()
    {
        var root = Path.Combine(TestTemp.Folder("camelyon17-cli").FullName, "cohort");
        var (exit, stdout, stderr) = Programs.Amil([
            "synth",
            "--kind",
            "camelyon17",
            "--count",
            "5",
            "--slide-size",
            "768x1024",
            "--out",
            root,
        ]);
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("Wrote 30 slides (5 labelled patients and 1 test patient", stdout);
        (exit, stdout, stderr) = Programs.Amil("datasets", "check", "--data", root, "--layout", "camelyon17");
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("25 slides under", stdout);
        Assert.Contains("patients: 5", stdout);
        Assert.Contains("patients by pN stage: pN0 1, pN0(i+) 1, pN1mi 1, pN1 1, pN2 1", stdout);

        var cache = Path.Combine(root, "..", "cache");
        var run = Path.Combine(root, "..", "run");
        (exit, stdout, stderr) = Programs.Amil([
            "train",
            .. Common(root, cache),
            "--encoder",
            "resnet18",
            "--epochs",
            "1",
            "--tile-size",
            "64",
            "--out",
            run,
        ]);
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains(
            "## Patient pN stage from the predicted nodes",
            File.ReadAllText(Path.Combine(run, "model_card.md"))
        );

        var evaluation = Path.Combine(root, "..", "evaluation");
        (exit, stdout, stderr) = Programs.Amil([
            "evaluate",
            .. Common(root, cache),
            "--model",
            Path.Combine(run, "model.zip"),
            "--split",
            "all",
            "--out",
            evaluation,
        ]);
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("pN stage   patients    5", stdout);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(evaluation, "metrics.json")));
        var staging = metrics.RootElement.GetProperty("test").GetProperty("pn_staging");
        Assert.Equal(5, staging.GetProperty("patients").GetInt32());
        Assert.Equal(
            ["pN0", "pN0(i+)", "pN1mi", "pN1", "pN2"],
            staging.GetProperty("per_patient").EnumerateArray().Select(p => p.GetProperty("true_stage").GetString())
        );

        var predictions = Path.Combine(root, "..", "predictions");
        (exit, stdout, stderr) = Programs.Amil(
            "predict",
            "--model",
            Path.Combine(run, "model.zip"),
            "--input",
            Path.Combine(root, "testing", "patients"),
            "--out",
            predictions,
            "--feature-cache",
            cache
        );
        Assert.True(exit == 0, stderr + stdout);
        var submission = File.ReadAllLines(Path.Combine(predictions, StageSubmission.FileName));
        Assert.Equal("patient,stage", submission[0]);
        Assert.StartsWith("patient_100.zip,pN", submission[1]);
        Assert.Equal(7, submission.Length);
    }

    private static string[] Common(string root, string cache) =>
        ["--data", root, "--layout", "camelyon17", "--feature-cache", cache];

    private static IEnumerable<string> Nodes(IEnumerable<ImageRecord> records, string patient) =>
        records.Where(r => r.Patient == patient).OrderBy(r => r.Path, StringComparer.Ordinal).Select(r => r.Label);
}
