using System.IO.Compression;

namespace Amil.MLNet.Transforms.Persistence;

/// <summary>
/// Verifies a model.zip before ML.NET reads it: every entry must decompress and match the CRC-32 the archive records.
/// ML.NET does not check them, so a damaged file would otherwise load and score with wrong weights, silently.
/// </summary>
/// <remarks>Infrastructure shared by the Amil.MLNet packages, public so that none needs another's internals; not
/// meant to be called from your code, and it may change in any version.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class ModelFileCheck
{
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">Not a zip archive, or an entry is damaged.</exception>
    public static void Verify(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"{path}: model file not found; pass the model.zip written by train (runs/<name>/model.zip).",
                path
            );
        ZipArchive archive;
        try
        {
            archive = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException)
        {
            throw new InvalidDataException(
                $"{path}: not a model file (it is not a zip archive); pass the model.zip written by train."
            );
        }
        using (archive)
        {
            var buffer = new byte[81920];
            foreach (var entry in archive.Entries)
            {
                uint crc;
                try
                {
                    using var stream = entry.Open();
                    var checksum = new Crc32();
                    for (int read; (read = stream.Read(buffer)) > 0; )
                        checksum.Append(buffer.AsSpan(0, read));
                    crc = checksum.Value;
                }
                catch (InvalidDataException e)
                {
                    throw Damaged(path, entry.FullName, e.Message);
                }
                if (crc != entry.Crc32)
                    throw Damaged(path, entry.FullName, "its CRC-32 does not match");
            }
        }
    }

    private static InvalidDataException Damaged(string path, string entry, string why) =>
        new($"{path}: model file is damaged ({entry}: {why}); restore it from a copy or train the model again.");
}
