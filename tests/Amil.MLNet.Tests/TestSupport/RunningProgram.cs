using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>The amil CLI started as a child process that keeps running: its output is collected line by line, it can
/// be waited on for a line and sent a signal, as Slurm, Docker or a terminal would.</summary>
internal sealed class RunningProgram : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private RunningProgram(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Standard output and error so far, interleaved as they arrived.</summary>
    public string Output => string.Join('\n', _lines);

    public static RunningProgram Amil(params string[] args)
    {
        var program = Programs.BuiltProgram(Path.Combine("src", "Runner"), "amil.dll");
        var start = new ProcessStartInfo("dotnet", [program, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        return new RunningProgram(Process.Start(start)!);
    }

    /// <summary>Waits until a line contains <paramref name="text"/>; fails naming the output when the program ends or
    /// the time runs out first.</summary>
    public void WaitForLine(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!_lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            if (_process.HasExited)
            {
                _process.WaitForExit(); // the rest of the output
                Assert.True(
                    _lines.Any(l => l.Contains(text, StringComparison.Ordinal)),
                    $"ended (exit {_process.ExitCode}) before '{text}':\n{Output}"
                );
                return;
            }
            Assert.True(clock.Elapsed < timeout, $"no '{text}' within {timeout}:\n{Output}");
            Thread.Sleep(50);
        }
    }

    public void Signal(int signal) =>
        Assert.True(Kill(_process.Id, signal) == 0, $"kill {signal} failed: {Marshal.GetLastPInvokeError()}");

    /// <summary>The exit code, once the program has ended within <paramref name="timeout"/>.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        Assert.True(_process.WaitForExit(timeout), $"still running {timeout} later:\n{Output}");
        _process.WaitForExit(); // the rest of the output
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is not null)
            _lines.Enqueue(line);
    }

    public const int SigInt = 2,
        SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
