using Amil.MLNet.Trainers;
using Amil.MLNet.Trainers.Training;

namespace Amil.MLNet.Application.Runs;

/// <summary>
/// One training's hold on its run folder, from creation to the last file: the folder made (or reused to resume), the
/// exclusive lock, log.txt beside the console log, and the rules for failure — a run that finished nothing leaves
/// nothing behind, finished work (a model, a checkpoint) is never deleted, a failure after the save keeps the model
/// and says how to score again.
/// </summary>
internal sealed class RunSession : IDisposable
{
    private readonly RunFolderLock _lock;
    private readonly StreamWriter _logFile;
    private readonly Action<string> _console;

    private RunSession(
        string directory,
        bool created,
        RunFolderLock folderLock,
        StreamWriter logFile,
        Action<string> log
    )
    {
        Directory = directory;
        Created = created;
        _lock = folderLock;
        _logFile = logFile;
        _console = log;
    }

    /// <summary>The run folder (absolute).</summary>
    public string Directory { get; }

    /// <summary>Whether this session made the folder (then a failure that finished nothing removes it).</summary>
    public bool Created { get; }

    /// <summary>Creates (or, to resume, reopens) the folder, takes its lock before anything is written, refuses a
    /// folder that holds a training unless resuming, and opens log.txt.</summary>
    public static RunSession Open(string directory, bool resume, Action<string> log)
    {
        directory = Path.GetFullPath(directory);
        bool created = !System.IO.Directory.Exists(directory);
        try
        {
            OutputFolder.Create(directory);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new UnauthorizedAccessException(
                $"{directory}: cannot create the run folder ({e.Message}); pick another --out or fix its permissions.",
                e
            );
        }
        // Taken before anything is written, and before any clean-up can run: a second job on this folder stops here.
        var folderLock = AcquireLock(directory, created);
        try
        {
            if (!resume)
                RefuseEarlierWork(directory);
            var logFile = OpenLog(directory, resume);
            return new RunSession(directory, created, folderLock, logFile, log);
        }
        catch
        {
            folderLock.Dispose();
            throw;
        }
    }

    /// <summary>A line to the console and to log.txt (time-stamped).</summary>
    public void Log(string line)
    {
        _console(line);
        _logFile.WriteLine($"{DateTime.Now:yyyy-MM-dd HH:mm:ss}  {line}");
    }

    /// <summary>Runs the training with the failure rules: stopped with a checkpoint → how to resume; diverged →
    /// the last good epoch kept; any other failure of a run that finished nothing → the folder removed.</summary>
    public T Guard<T>(Func<T> training)
    {
        try
        {
            return training();
        }
        catch (OperationCanceledException) when (File.Exists(Path.Combine(Directory, RunFiles.CheckpointFile)))
        {
            Log("Stopped on request; the training so far is saved.");
            throw new TrainingInterruptedException(Directory);
        }
        catch (TrainingDivergedException e)
        {
            string kept = File.Exists(Path.Combine(Directory, RunFiles.CheckpointFile))
                ? $" The last good epoch ({e.Epoch - 1}) stays in "
                    + $"{Path.Combine(Directory, RunFiles.CheckpointFile)}; nothing else was written."
                : "";
            if (kept.Length == 0 && Created)
                RemoveUnfinished();
            else
                _logFile.WriteLine($"{DateTime.Now:yyyy-MM-dd HH:mm:ss}  error: {e.Message}{kept}");
            throw new TrainingDivergedException(e.Message + kept, e.Epoch);
        }
        catch (Exception e) when (e is not RunIncompleteException && Created && !HoldsFinishedWork())
        {
            // A failed run that finished nothing leaves nothing half-written behind.
            RemoveUnfinished();
            throw;
        }
    }

    /// <summary>The log line that says where a run's test split is scored: where the model trained, images and
    /// slides alike.</summary>
    public static string ScoredOn(ComputeDevice device) => $"The test split is scored on {device}.";

    /// <summary>Runs what follows the saved model (evaluation, maps, report); a failure there keeps the model and
    /// says how to score again.</summary>
    public T AfterTheModel<T>(Func<T> steps)
    {
        try
        {
            return steps();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            string model = Path.Combine(Directory, RunFiles.ModelFile);
            string message =
                $"The model was trained and saved to {model}, but the step after it failed: "
                + $"{Innermost(e).Message.Split('\n')[0]} The run folder keeps everything that finished; score the "
                + $"test split again with amil evaluate --model {model}.";
            Log("error: " + message);
            throw new RunIncompleteException(message, e);
        }
    }

    /// <summary>Writes report.html for a finished run (image or slide); the model and metrics are complete, so a
    /// report that cannot be drawn is a warning, never a reason to throw them away.</summary>
    /// <param name="device">Where an image run's model scores again for the report: where it trained.</param>
    public void WriteReport(ComputeDevice device)
    {
        try
        {
            RunReport.Write(Directory, null, Log, new ScoringOptions(device));
            ModelCard.Write(Directory);
        }
        catch (Exception e)
            when (e is IOException or InvalidDataException or ArgumentException or Transforms.Images.ImageReadException)
        {
            Log(
                $"warning: report.html or model_card.md not written ({e.Message}); run `amil report --run "
                    + $"{Directory}` to retry."
            );
        }
    }

    public void Dispose()
    {
        _logFile.Dispose();
        _lock.Dispose();
    }

    private static void RefuseEarlierWork(string directory)
    {
        if (File.Exists(Path.Combine(directory, RunFiles.CheckpointFile)))
            throw new ArgumentException(
                $"{directory} already holds a training; continue it with --resume {directory}, or pick another --out."
            );
        if (File.Exists(Path.Combine(directory, RunFiles.ModelFile)))
            throw new ArgumentException(
                $"{directory} already holds a finished run ({RunFiles.ModelFile}); "
                    + "pick another --out (nothing there is overwritten)."
            );
    }

    private static StreamWriter OpenLog(string directory, bool resume)
    {
        try
        {
            return new StreamWriter(Path.Combine(directory, RunFiles.LogFile), append: resume) { AutoFlush = true };
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException(
                $"{directory}: the run folder is not writable ({e.Message}); pick another --out or fix its "
                    + "permissions.",
                e
            );
        }
    }

    private static RunFolderLock AcquireLock(string directory, bool created)
    {
        try
        {
            return RunFolderLock.Acquire(directory);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or (IOException and not RunFolderBusyException))
        {
            if (created)
                TryDelete(directory);
            throw new UnauthorizedAccessException(
                $"{directory}: the run folder is not writable ({e.Message}); pick another --out or fix its "
                    + "permissions.",
                e
            );
        }
    }

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);

    /// <summary>A model or a checkpoint of a finished epoch: work that is never deleted.</summary>
    private bool HoldsFinishedWork() =>
        File.Exists(Path.Combine(Directory, RunFiles.ModelFile))
        || File.Exists(Path.Combine(Directory, RunFiles.CheckpointFile));

    private void RemoveUnfinished()
    {
        _logFile.Dispose();
        TryDelete(Directory); // the lock is released when the session ends
    }

    /// <summary>Clean-up never hides the error that made it necessary.</summary>
    private static void TryDelete(string directory)
    {
        try
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
