using System.CommandLine;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Runner;

/// <summary>Runs a verb's body: exit 0 on success, 1 with one clear line for errors a user can fix, 2 for internal errors.</summary>
internal static class CommandRunner
{
    public static int Run(ParseResult parse, Action body)
    {
        bool verbose = parse.GetValue(CommonOptions.Verbose);
        try
        {
            body();
            return 0;
        }
        catch (Exception e) when (UserError(e) is { } user)
        {
            Console.Error.WriteLine($"error: {user.Message}");
            if (verbose) Console.Error.WriteLine(e);
            return 1;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"internal error: {e.Message.Split('\n')[0]} (run with --verbose for details)");
            if (verbose) Console.Error.WriteLine(e);
            return 2;
        }
    }

    public static void Log(string line) => Console.WriteLine(line);

    /// <summary>The user-fixable cause, looking through ML.NET's wrapping exceptions.</summary>
    private static Exception? UserError(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x is DatasetException or ImageReadException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ArgumentException or UnauthorizedAccessException)
                return x;
        return null;
    }
}
