namespace Amil.MLNet.Transforms;

/// <summary>Writes files so that a reader never sees half of one: write beside, then rename over.
/// The one place every file Amil.MLNet writes (images, models, checkpoints, caches, JSON) goes through.</summary>
public static class AtomicFile
{
    /// <summary>Calls <paramref name="writeTemp"/> with a temporary path beside <paramref name="path"/>, then renames
    /// it over <paramref name="path"/>; on failure the temporary file is removed and <paramref name="path"/> is
    /// untouched.</summary>
    /// <exception cref="DiskFullException">The disk is full.</exception>
    public static void Write(string path, Action<string> writeTemp)
    {
        var temp = path + ".tmp-" + Environment.ProcessId + "-" + Environment.CurrentManagedThreadId;
        try
        {
            writeTemp(temp);
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is not DiskFullException && DiskFullException.IsDiskFull(e))
        {
            throw new DiskFullException(path, e);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, byte[] bytes) => Write(path, temp => File.WriteAllBytes(temp, bytes));

    /// <summary>Writes <paramref name="text"/> as UTF-8 to <paramref name="path"/> atomically.</summary>
    public static void WriteText(string path, string text) => Write(path, System.Text.Encoding.UTF8.GetBytes(text));
}
