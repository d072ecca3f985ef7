using System.Text.Json;
using Amil.MLNet.Application;
using Amil.MLNet.Application.Jobs;
using Amil.MLNet.Data.Datasets;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>External validation: a model evaluated on a dataset it never saw whose classes are named differently,
/// classes matched by name or mapped by the user, a clear error when they cannot be, intervals on the
/// figures.</summary>
[Collection("trained")]
public sealed class ExternalValidationTests(TrainedRunFixture run)
{
    [Fact]
    public void ClassesAreMatchedByNameOrMappedAndTheMappingIsRecorded()
    {
        var (entry, root) = new DatasetSelection(DatasetsFile: run.DatasetsFile).Resolve();
        var records = DatasetReader.Read(entry, root);
        var other = TestTemp.Folder("external-site").FullName;
        foreach (var (label, folder) in new[] { ("benign", "Benign"), ("malignant", "tumour") })
        {
            Directory.CreateDirectory(Path.Combine(other, folder));
            foreach (var r in records.Where(r => r.Label == label).Take(4))
                File.Copy(r.Path, Path.Combine(other, folder, Path.GetFileName(r.Path)));
        }
        var selection = new DatasetSelection(DataDirectory: other, Layout: "image-folder");
        var model = Path.Combine(run.RunDirectory, "model.zip");
        var output = Path.Combine(other, "..", "external-eval");

        var error = Assert.Throws<DatasetException>(() => EvaluateJob.Run(model, selection, output, _ => { }, All));
        Assert.Contains("classes the model does not know: 'tumour' (4)", error.Message);
        Assert.Contains("--class-map tumour=malignant", error.Message);
        Assert.DoesNotContain("Benign", error.Message); // differs from "benign" only in case: matched

        var log = new List<string>();
        var metrics = EvaluateJob.Run(
            model,
            selection,
            output,
            log.Add,
            All with
            {
                ClassMap = ClassMapping.Parse("tumour=malignant"),
            }
        )!;

        Assert.Equal(8, metrics.Test!.Images);
        Assert.Contains(log, l => l.Contains("Benign → benign") && l.Contains("tumour → malignant"));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        Assert.Equal("malignant", json.RootElement.GetProperty("class_map").GetProperty("tumour").GetString());
        var accuracy = json.RootElement.GetProperty("test").GetProperty("intervals").GetProperty("accuracy");
        Assert.InRange(metrics.Test.Accuracy, accuracy[0].GetDouble(), accuracy[1].GetDouble());

        Assert.Contains(
            "not one of the model's classes",
            Assert
                .Throws<DatasetException>(() =>
                    EvaluateJob.Run(
                        model,
                        selection,
                        output,
                        _ => { },
                        All with
                        {
                            ClassMap = ClassMapping.Parse("tumour=cancer"),
                        }
                    )
                )
                .Message
        );
        Assert.Throws<ArgumentException>(() => ClassMapping.Parse("tumour"));
        Assert.Throws<ArgumentException>(() => ClassMapping.Parse("a=b,a=c"));
    }

    private static readonly EvaluateJob.Options All = new() { AllItems = true };
}
