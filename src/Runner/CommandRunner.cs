using System.CommandLine;
using System.Runtime.InteropServices;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Runner;

/// <summary>Runs a verb's body: exit 0 on success, 1 with one clear line for errors a user can fix, 2 for internal
/// errors, 130 when stopped with Ctrl-C (SIGINT), 143 when stopped with SIGTERM.</summary>
internal static class CommandRunner
{
    private static readonly CancellationTokenSource InterruptSource = new();
    private static int _signals;
    private static PosixSignal? _signal;

    // One handler per process, however often the token is asked for; the registrations live as long as the process.
    private static readonly Lazy<(CancellationToken Token, PosixSignalRegistration[] Registrations)> Handler = new(() =>
        (
            InterruptSource.Token,
            [
                PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
                PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            ]
        )
    );

    /// <summary>Cancelled by the first Ctrl-C or SIGTERM (a second signal ends the process at once). Verbs that never
    /// ask for it keep the runtime's default: a signal ends them at once, and their atomic writes leave nothing
    /// half-written.</summary>
    public static CancellationToken Interrupt => Handler.Value.Token;

    private static void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _signals) > 1)
            return; // the default action: the process ends now
        context.Cancel = true;
        _signal = context.Signal;
        Console.Error.WriteLine(
            context.Signal == PosixSignal.SIGTERM
                ? "Stopping on SIGTERM… (a second signal ends the process at once)"
                : "Stopping… (press Ctrl-C again to quit at once)"
        );
        InterruptSource.Cancel();
    }

    /// <summary>The exit code of a process stopped by a signal: 128 + its number.</summary>
    private static int SignalExit => _signal == PosixSignal.SIGTERM ? 143 : 130;

    public static int Run(ParseResult parse, Action body)
    {
        bool verbose = parse.GetValue(CommonOptions.Verbose);
        try
        {
            body();
            // A verb that stops cleanly on a signal (view) still tells its caller it was stopped.
            return InterruptSource.IsCancellationRequested ? SignalExit : 0;
        }
        catch (OperationCanceledException e)
            when (e is TrainingInterruptedException || InterruptSource.IsCancellationRequested)
        {
            Console.Error.WriteLine(e is TrainingInterruptedException ? e.Message : "Interrupted.");
            return SignalExit;
        }
        catch (Exception e) when (UserError(e) is { } user)
        {
            Console.Error.WriteLine($"error: {user.Message}");
            if (verbose)
                Console.Error.WriteLine(e);
            return 1;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"internal error: {e.Message.Split('\n')[0]} (run with --verbose for details)");
            if (verbose)
                Console.Error.WriteLine(e);
            return 2;
        }
    }

    public static void Log(string line) => Console.WriteLine(line);

    /// <summary>The user-fixable cause, looking through ML.NET's wrapping exceptions.</summary>
    private static Exception? UserError(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x is Transforms.DiskFullException)
                return x;
            else if (Transforms.DiskFullException.IsDiskFull(x))
                return new IOException($"the disk is full ({x.Message}); free space there, or write to another disk.");
            else if (
                x
                is RunIncompleteException
                    or RunFolderBusyException
                    or Trainers.Training.TrainingDivergedException
                    or Trainers.DeviceUnavailableException
                    or Transforms.Encoders.EncoderDeviceUnavailableException
                    or Trainers.NonFiniteScoreException
                    or DatasetException
                    or ImageReadException
                    or FileNotFoundException
                    or DirectoryNotFoundException
                    or InvalidDataException
                    or ArgumentException
                    or UnauthorizedAccessException
                    or TimeoutException
            )
                return x;
        return null;
    }
}
