namespace Amil.MLNet.Application.Runs;

/// <summary>
/// An exclusive lock on a run folder for the life of a job (an OS file lock on <c>.lock</c>, released when the process
/// ends in any way), so two jobs never write one run folder at once.
/// </summary>
public sealed class RunFolderLock : IDisposable
{
    public const string FileName = ".lock";

    // What .NET reports when another process holds the lock: EWOULDBLOCK from flock, ERROR_SHARING_VIOLATION on
    // Windows.
    private const int SharingViolationUnix = 11,
        SharingViolationWindows = unchecked((int)0x80070020);
    private readonly FileStream _stream;
    private readonly string _path;

    private RunFolderLock(FileStream stream, string path) => (_stream, _path) = (stream, path);

    /// <exception cref="RunFolderBusyException">Another job holds the folder.</exception>
    public static RunFolderLock Acquire(string runDirectory)
    {
        var path = Path.Combine(runDirectory, FileName);
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            using (var writer = new StreamWriter(stream, leaveOpen: true))
                writer.Write($"{Environment.ProcessId}\n");
            stream.Flush();
            return new RunFolderLock(stream, path);
        }
        catch (IOException e) when (e.HResult is SharingViolationUnix or SharingViolationWindows)
        {
            throw new RunFolderBusyException(
                $"{runDirectory} is in use by another job (its {FileName} is locked); wait for that job to end or "
                    + "pick another --out."
            );
        }
    }

    public void Dispose()
    {
        _stream.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}

/// <summary>Another job holds the run folder's lock.</summary>
public sealed class RunFolderBusyException(string message) : IOException(message);

/// <summary>
/// The model was trained and saved, but a later step (scoring the test split, writing metrics) failed. What finished
/// stays in the run folder.
/// </summary>
public sealed class RunIncompleteException(string message, Exception inner) : Exception(message, inner);
