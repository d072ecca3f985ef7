namespace Amil.MLNet.Application.Runs;

/// <summary>The folder a command writes its results into.</summary>
public static class OutputFolder
{
    /// <summary>Creates <paramref name="path"/> and its parents when missing; a clear error when it, or a folder on
    /// the way to it, is a file.</summary>
    public static string Create(string path)
    {
        var full = Check(path);
        Directory.CreateDirectory(full);
        return full;
    }

    /// <summary>The error <see cref="Create"/> would give, before any work is done; creates nothing. Returns the full
    /// path.</summary>
    public static string Check(string path)
    {
        var full = Path.GetFullPath(path);
        for (var at = full; !string.IsNullOrEmpty(at); at = Path.GetDirectoryName(at))
            if (File.Exists(at))
                throw new ArgumentException(
                    at == full
                        ? $"{path} is a file; results are written into a folder: give a folder's path (it is created "
                            + "when missing), or move the file away."
                        : $"{path}: {at} is a file, so no folder can be made under it; give another output folder."
                );
            else if (Directory.Exists(at))
                break;
        return full;
    }
}
