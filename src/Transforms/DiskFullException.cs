namespace Amil.MLNet.Transforms;

/// <summary>A file could not be written because its disk (or the user's quota there) is full. What was half-written
/// has been removed.</summary>
public sealed class DiskFullException(string path, Exception inner)
    : IOException(
        $"The disk holding {Path.GetDirectoryName(Path.GetFullPath(path))} is full: {Path.GetFileName(path)} could not "
            + "be written and nothing half-written was left. Free space there, or write to another disk.",
        inner
    )
{
    /// <summary>The file that was being written.</summary>
    public string FilePath { get; } = path;

    private const int NoSpace = 28, // ENOSPC
        QuotaExceeded = 122, // EDQUOT
        WindowsDiskFull = unchecked((int)0x80070070),
        WindowsHandleDiskFull = unchecked((int)0x80070027);

    /// <summary>Whether <paramref name="e"/> is an I/O error for a full disk or quota (the errno on Unix, the HRESULT
    /// on Windows).</summary>
    public static bool IsDiskFull(Exception e) =>
        e is DiskFullException
        || e is IOException { HResult: NoSpace or QuotaExceeded or WindowsDiskFull or WindowsHandleDiskFull };
}
