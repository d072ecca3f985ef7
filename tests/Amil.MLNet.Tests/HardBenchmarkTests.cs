using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Data.Synthetic;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>The hard synthetic benchmark keeps the properties its design promises.</summary>
public class HardBenchmarkTests
{
    [Fact]
    public void AboutThirtyOnePercentOfPatientsAreBenignAndEveryPairHasBoth()
    {
        Assert.Equal(4, Enumerable.Range(0, 13).Count(HardCases.IsBenignPatient));
        // The built-in set: 240 images of 40 patients, 13 of them benign (78 images, 32.5 %).
        Assert.Equal(13, Enumerable.Range(0, 40).Count(HardCases.IsBenignPatient));
        Assert.True(HardCases.IsBenignPatient(0));
        Assert.False(HardCases.IsBenignPatient(1));
    }

    [Fact]
    public void TumourIsSmallFociOnlyInMalignantImagesAndPatientsShareTheirLook()
    {
        var root = TestTemp.Folder("amil-hard-").FullName;
        var options = new SyntheticOptions(SyntheticKind.BreakHisHard, 30, 4);
        var written = SyntheticHistology.Generate(root, options);
        var records = DatasetReader.ReadBreakHis(
            root,
            new DatasetEntry
            {
                Name = "hard",
                Layout = "breakhis",
                Root = root,
            }
        );
        Assert.Equal(30, records.Count);
        Assert.Equal(5, records.Select(r => r.Patient).Distinct().Count()); // 6 images per patient
        int malignant = 0;
        foreach (var path in written)
        {
            var mask = Transforms.Images.RgbImageReader.Read(Path.Combine(root, SyntheticHistology.MasksFolder, path));
            double share =
                Enumerable.Range(0, mask.Width * mask.Height).Count(i => mask.Pixels[i * 3] > 127)
                / (double)(mask.Width * mask.Height);
            if (path.Contains("malignant"))
            {
                malignant++;
                // 1–10 % drawn; overlapping foci can only make it smaller.
                Assert.InRange(share, 0.003, HardCases.MaxTumourShare + 0.005);
            }
            else
                Assert.Equal(0, share);
        }
        Assert.Equal(18, malignant); // patients 0 and 4 are benign, 1–3 malignant

        // Same seed, same bytes; another seed, other images.
        var again = TestTemp.Folder("amil-hard-").FullName;
        SyntheticHistology.Generate(again, options);
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(root, written[7])),
            File.ReadAllBytes(Path.Combine(again, written[7]))
        );
    }

    [Fact]
    public void TheBuiltInHardDatasetIsDeclaredWithItsKind()
    {
        var registry = DatasetRegistry.Load(Path.Combine(Programs.RepoRoot(), "datasets.json"));
        var entry = registry.Get("synthetic-hard");
        Assert.Equal("breakhis-hard", entry.Synthetic!.Kind);
        Assert.True(SyntheticKinds.TryParse(entry.Synthetic.Kind, out var kind));
        Assert.Equal(SyntheticKind.BreakHisHard, kind);
    }
}
