using System.CommandLine;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Runner;

/// <summary>Runs a verb's body: exit 0 on success, 1 with one clear line for errors a user can fix, 2 for internal
/// errors, 130 when stopped with Ctrl-C.</summary>
internal static class CommandRunner
{
    private static readonly CancellationTokenSource InterruptSource = new();
    private static int _interrupts;

    private static readonly Lazy<CancellationToken> Handler = new(() =>
    {
        // One handler per process, however often the token is asked for.
        Console.CancelKeyPress += (_, e) =>
        {
            if (Interlocked.Increment(ref _interrupts) > 1)
                return;
            e.Cancel = true;
            Console.Error.WriteLine("Stopping… (press Ctrl-C again to quit at once)");
            InterruptSource.Cancel();
        };
        return InterruptSource.Token;
    });

    /// <summary>Cancelled by the first Ctrl-C (a second one ends the process at once).</summary>
    public static CancellationToken Interrupt => Handler.Value;

    public static int Run(ParseResult parse, Action body)
    {
        bool verbose = parse.GetValue(CommonOptions.Verbose);
        try
        {
            body();
            return 0;
        }
        catch (OperationCanceledException e)
            when (e is TrainingInterruptedException || InterruptSource.IsCancellationRequested)
        {
            Console.Error.WriteLine(e is TrainingInterruptedException ? e.Message : "Interrupted.");
            return 130;
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
                    or Trainers.NonFiniteScoreException
                    or DatasetException
                    or ImageReadException
                    or FileNotFoundException
                    or DirectoryNotFoundException
                    or InvalidDataException
                    or ArgumentException
                    or UnauthorizedAccessException
            )
                return x;
        return null;
    }
}
