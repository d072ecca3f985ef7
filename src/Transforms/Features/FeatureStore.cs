using System.Security.Cryptography;
using System.Text;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Persistence;

namespace Amil.MLNet.Transforms.Features;

/// <summary>One stored entry: N × D features (patch-major), the bag grid, and each patch's corner in the source's
/// pixels (x0, y0, x1, y1, …; for an image, the grid's own origins; for a slide, its tiles' level-0 corners).</summary>
/// <remarks>Infrastructure shared by the Amil.MLNet packages, public so that none needs another's internals; not
/// meant to be called from your code, and it may change in any version.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public sealed class FeatureEntry(float[] features, BagLayout layout, int[] corners, string metadata = "")
{
    /// <summary>What the source's reader noted beside the features (a slide's quality-control counts, as JSON); ""
    /// for none.</summary>
    public string Metadata { get; } = metadata;

    /// <summary>N × D features, patch-major.</summary>
    public float[] Features { get; } = features;

    /// <summary>The bag grid.</summary>
    public BagLayout Layout { get; } = layout;

    /// <summary>Each patch's corner (x0, y0, x1, y1, …).</summary>
    public int[] Corners { get; } = corners;

    /// <summary>N, the number of patches.</summary>
    public int Count => Layout.Count;

    /// <summary>D, the features per patch.</summary>
    public int FeatureSize => Features.Length / Layout.Count;
}

/// <summary>
/// The on-disk store behind the image and slide feature caches: one file per source and settings, named by SHA-256 of
/// what identifies the source (the caller hashes it) and the settings that made the features, so a changed source or
/// setting never reuses old features. Files are written beside and renamed over (an interrupted run leaves no partial
/// entry; a rerun continues where it stopped); a missing, truncated, mismatching or other-format entry reads as none.
/// Format (little-endian): "AMILFEAT", int32 version 3, int32 N, int32 D, int32 length + UTF-8 settings, int32
/// length + UTF-8 metadata, 9 × int32 bag layout, N × 2 int32 corners, N × D float32. Version 2 entries (no metadata)
/// are still read.
/// </summary>
/// <remarks>Infrastructure shared by the Amil.MLNet packages, public so that none needs another's internals; not
/// meant to be called from your code, and it may change in any version.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public sealed class FeatureStore(string folder, string settings)
{
    private static readonly byte[] Magic = "AMILFEAT"u8.ToArray();
    private const int Version = 3;

    /// <summary>The store's folder, absolute.</summary>
    public string Folder { get; } = Path.GetFullPath(folder);

    /// <summary>The entry file of the source that <paramref name="identify"/> hashes.</summary>
    public string EntryPath(Action<IncrementalHash> identify)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        identify(sha);
        sha.AppendData(Encoding.UTF8.GetBytes(settings));
        var key = Convert.ToHexStringLower(sha.GetHashAndReset());
        return Path.Combine(Folder, key[..2], key + ".feat");
    }

    /// <summary>A valid entry, or null.</summary>
    public FeatureEntry? TryRead(string entry)
    {
        if (!File.Exists(entry))
            return null;
        try
        {
            var reader = new CacheEntryReader(File.ReadAllBytes(entry));
            int version = reader.Version(Magic);
            if (version is not (2 or Version))
                return null;
            int n = reader.Int(),
                d = reader.Int();
            if (reader.Text(reader.Int()) != settings || n <= 0 || d <= 0)
                return null;
            var metadata = version == 2 ? "" : reader.Text(reader.Int());
            if (metadata is null)
                return null;
            var encoded = new int[BagLayout.EncodedLength];
            for (int i = 0; i < encoded.Length; i++)
                encoded[i] = reader.Int();
            if (reader.Remaining < (long)n * 8)
                return null;
            var corners = new int[2 * n];
            for (int i = 0; i < corners.Length; i++)
                corners[i] = reader.Int();
            var layout = BagLayout.Decode(encoded);
            if (layout.Count != n || reader.FloatsToEnd((long)n * d) is not { } features)
                return null;
            return new FeatureEntry(features, layout, corners, metadata);
        }
        catch (Exception e) when (e is IOException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Writes <paramref name="bag"/> as <paramref name="entry"/>, atomically.</summary>
    public void Write(string entry, FeatureEntry bag)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(entry)!);
        AtomicFile.Write(
            entry,
            temp =>
            {
                using var writer = new BinaryWriter(File.Create(temp));
                var text = Encoding.UTF8.GetBytes(settings);
                writer.Write(Magic);
                writer.Write(Version);
                writer.Write(bag.Count);
                writer.Write(bag.FeatureSize);
                writer.Write(text.Length);
                writer.Write(text);
                var metadata = Encoding.UTF8.GetBytes(bag.Metadata);
                writer.Write(metadata.Length);
                writer.Write(metadata);
                foreach (int v in bag.Layout.Encode())
                    writer.Write(v);
                foreach (int v in bag.Corners)
                    writer.Write(v);
                writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(bag.Features.AsSpan()));
            }
        );
    }
}
