using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: Xunit.TestFramework("Amil.MLNet.Tests.CleaningTestFramework", "Amil.MLNet.Tests")]

namespace Amil.MLNet.Tests;

/// <summary>Temporary folders for tests, all under one folder per test run, deleted when the run ends.</summary>
internal static class TestTemp
{
    private const string Prefix = "amil-tests-";
    private static readonly Lazy<string> Root = new(CreateRoot);

    /// <summary>This run's root, named after the process; roots of earlier runs whose process is gone are removed
    /// first (the test host can be stopped before its clean-up runs).</summary>
    private static string CreateRoot()
    {
        foreach (var stale in Directory.EnumerateDirectories(Path.GetTempPath(), Prefix + "*"))
        {
            var parts = Path.GetFileName(stale)[Prefix.Length..].Split('-');
            if (int.TryParse(parts[0], out int pid) && pid != Environment.ProcessId && !IsRunning(pid))
                Delete(stale);
        }
        return Directory.CreateTempSubdirectory($"{Prefix}{Environment.ProcessId}-").FullName;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>A new empty folder named after <paramref name="prefix"/>.</summary>
    public static DirectoryInfo Folder(string prefix) =>
        Directory.CreateDirectory(Path.Combine(Root.Value, prefix + Guid.NewGuid().ToString("N")[..8]));

    public static void DeleteAll()
    {
        if (Root.IsValueCreated)
            Delete(Root.Value);
    }

    private static void Delete(string folder)
    {
        // A test's background work (a process it started, a log being flushed) can still add a file while the tree
        // is deleted; try again briefly rather than leave the folder behind.
        for (int attempt = 0; attempt < 5 && Directory.Exists(folder); attempt++)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(200);
            }
        }
    }
}

/// <summary>xunit's own framework, plus the clean-up of <see cref="TestTemp"/> once every test of the assembly has run
/// (the test host is stopped without running process-exit handlers).</summary>
public sealed class CleaningTestFramework : XunitTestFramework
{
    public CleaningTestFramework(IMessageSink messageSink)
        : base(messageSink) => DisposalTracker.Add(new Cleanup());

    private sealed class Cleanup : IDisposable
    {
        public void Dispose() => TestTemp.DeleteAll();
    }
}
