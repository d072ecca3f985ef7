using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: Xunit.TestFramework("Amil.MLNet.Tests.CleaningTestFramework", "Amil.MLNet.Tests")]

namespace Amil.MLNet.Tests;

/// <summary>Temporary folders for tests, all under one folder per test run, deleted when the run ends.</summary>
internal static class TestTemp
{
    private static readonly Lazy<string> Root = new(() => Directory.CreateTempSubdirectory("amil-tests-").FullName);

    /// <summary>A new empty folder named after <paramref name="prefix"/>.</summary>
    public static DirectoryInfo Folder(string prefix) =>
        Directory.CreateDirectory(Path.Combine(Root.Value, prefix + Guid.NewGuid().ToString("N")[..8]));

    public static void DeleteAll()
    {
        if (!Root.IsValueCreated)
            return;
        // A test's background work (a process it started, a log being flushed) can still add a file while the tree
        // is deleted; try again briefly rather than leave the folder behind.
        for (int attempt = 0; attempt < 5 && Directory.Exists(Root.Value); attempt++)
        {
            try
            {
                Directory.Delete(Root.Value, recursive: true);
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
