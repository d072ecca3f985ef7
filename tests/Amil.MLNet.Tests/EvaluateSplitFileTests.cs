using Amil.MLNet.Application;
using Amil.MLNet.Application.Jobs;
using Amil.MLNet.Data.Datasets;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>`evaluate --split-file` and `localize --split-file`: a model is evaluated and its maps compared on the test
/// part of a split file (a cross-validation fold's own), not the dataset's test split.</summary>
[Collection("trained")]
public sealed class EvaluateSplitFileTests(TrainedRunFixture run)
{
    [Fact]
    public void EvaluateScoresTheTestPartOfASplitFile()
    {
        var selection = new DatasetSelection(DatasetsFile: run.DatasetsFile);
        var (entry, root) = selection.Resolve();
        var records = DatasetReader.Read(entry, root);
        var test = records.Where(r => r.Patient == records[0].Patient).ToList();
        var file = Path.Combine(TestTemp.Folder("evaluate-split-file").FullName, "fold.csv");
        SplitFile.Write(file, root, new DatasetSplit([.. records.Except(test)], [], test));
        var model = Path.Combine(run.RunDirectory, "model.zip");
        var output = Path.Combine(Path.GetDirectoryName(file)!, "eval");

        var metrics = EvaluateJob.Run(model, selection, output, _ => { }, new() { SplitFile = file })!;

        Assert.Equal(test.Count, metrics.Test!.Images);
        Assert.NotEqual(DatasetSplit.For(records, entry).Test.Count, test.Count);
        // localize compares on the same test part.
        var localized = LocalizeJob.Run(
            [model],
            null,
            selection,
            output + "-maps",
            default,
            false,
            _ => { },
            splitFile: file
        )!;
        Assert.Equal(test.Count(r => r.MaskPath is not null), localized.Images);
        var error = Assert.Throws<ArgumentException>(() =>
            EvaluateJob.Run(model, selection, output + "2", _ => { }, new() { AllItems = true, SplitFile = file })
        );
        Assert.Contains("contradict", error.Message);
    }
}
