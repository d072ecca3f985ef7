using Amil.MLNet.Application;

namespace Amil.MLNet.Tests;

/// <summary>One short real training run shared by the tests that need a trained model:
/// 80 synthetic BreakHis-layout images (8 patients), 224×224 centre crop (64 patches per bag), 8 epochs.</summary>
public sealed class TrainedRunFixture : IDisposable
{
    public TrainedRunFixture()
    {
        Directory = TestTemp.Folder("amil-run-").FullName;
        DatasetsFile = Path.Combine(Directory, "datasets.json");
        File.WriteAllText(
            DatasetsFile,
            """
            {
              "default": "tiny",
              "datasets": {
                "tiny": {
                  "layout": "synthetic",
                  "root": "data",
                  "synthetic": { "kind": "breakhis", "count": 80, "seed": 5 },
                  "split": { "test_fraction": 0.25, "validation_fraction": 0.34, "seed": 2 },
                  "patches": { "crop": "224x224", "size": 28, "stride": 28 }
                }
              }
            }
            """
        );
        RunDirectory = Path.Combine(Directory, "run");
        Result = TrainJob.Run(
            new TrainSettings
            {
                Dataset = new DatasetSelection(DatasetsFile: DatasetsFile),
                OutDirectory = RunDirectory,
                Epochs = 8,
                Seed = 3,
            },
            _ => { }
        );
        Model = AmilModel.Load(Path.Combine(RunDirectory, "model.zip"));
    }

    public string Directory { get; }
    public string DatasetsFile { get; }
    public string RunDirectory { get; }
    public string DataRoot => Path.Combine(Directory, "data");
    public TrainJob.Result Result { get; }
    public AmilModel Model { get; }

    public IReadOnlyList<string> SomeImages(int count) =>
        System
            .IO.Directory.EnumerateFiles(DataRoot, "*.png", SearchOption.AllDirectories)
            .Where(p => !p.Contains("/masks/"))
            .Order(StringComparer.Ordinal)
            .Take(count)
            .ToList();

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException) { }
    }
}
