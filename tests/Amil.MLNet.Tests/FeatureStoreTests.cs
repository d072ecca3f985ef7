using System.Text;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>The feature store's entries: what is written reads back whole (features, grid, corners, metadata);
/// entries of the previous format (no metadata) still read; a damaged one reads as none.</summary>
public sealed class FeatureStoreTests
{
    private static readonly BagLayout Grid = new(3, 8, 8, 1, 2, 0, 0, 16, 8);

    private static (FeatureStore Store, string Entry) NewStore(string name)
    {
        var store = new FeatureStore(TestTemp.Folder(name).FullName, "encoder x|tile 8");
        return (store, store.EntryPath(sha => sha.AppendData("source"u8)));
    }

    [Fact]
    public void AnEntryReadsBackWithItsMetadata()
    {
        var (store, entry) = NewStore("store-roundtrip");
        store.Write(entry, new FeatureEntry([1, 2, 3, 4, 5, 6], Grid, [0, 0, 8, 0], "{\"kept\":2}"));

        var read = store.TryRead(entry)!;
        Assert.Equal([1f, 2, 3, 4, 5, 6], read.Features);
        Assert.Equal([0, 0, 8, 0], read.Corners);
        Assert.Equal((2, 3), (read.Count, read.FeatureSize));
        Assert.Equal("{\"kept\":2}", read.Metadata);
        Assert.Null(new FeatureStore(store.Folder, "encoder y|tile 8").TryRead(entry)); // other settings
    }

    [Fact]
    public void AnEntryOfThePreviousFormatStillReadsWithoutMetadata()
    {
        var (store, entry) = NewStore("store-version2");
        Directory.CreateDirectory(Path.GetDirectoryName(entry)!);
        using (var writer = new BinaryWriter(File.Create(entry)))
        {
            var settings = Encoding.UTF8.GetBytes("encoder x|tile 8");
            writer.Write("AMILFEAT"u8);
            writer.Write(2);
            writer.Write(2);
            writer.Write(3);
            writer.Write(settings.Length);
            writer.Write(settings);
            foreach (int v in Grid.Encode())
                writer.Write(v);
            foreach (int v in new[] { 0, 0, 8, 0 })
                writer.Write(v);
            foreach (float v in new float[] { 1, 2, 3, 4, 5, 6 })
                writer.Write(v);
        }

        var read = store.TryRead(entry)!;
        Assert.Equal([1f, 2, 3, 4, 5, 6], read.Features);
        Assert.Equal("", read.Metadata);
    }

    [Fact]
    public void ATruncatedEntryReadsAsNone()
    {
        var (store, entry) = NewStore("store-truncated");
        store.Write(entry, new FeatureEntry([1, 2, 3, 4, 5, 6], Grid, [0, 0, 8, 0], "{\"kept\":2}"));
        var bytes = File.ReadAllBytes(entry);
        File.WriteAllBytes(entry, bytes[..^4]);
        Assert.Null(store.TryRead(entry));
        File.WriteAllBytes(entry, bytes[..40]); // cut inside the metadata
        Assert.Null(store.TryRead(entry));
    }
}
