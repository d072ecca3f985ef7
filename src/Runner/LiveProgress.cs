using Spectre.Console;

namespace Amil.MLNet.Runner;

/// <summary>Live progress bars with ETA on a terminal; plain log lines when output is redirected (CI, pipes,
/// files).</summary>
internal static class LiveProgress
{
    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs a body that reports (done, total) items, with one live bar when on a terminal.</summary>
    public static T Count<T>(string label, Func<Action<string>, Action<int, int>?, T> body)
    {
        if (!Interactive)
            return body(CommandRunner.Log, null);
        T result = default!;
        AnsiConsole
            .Progress()
            .AutoClear(true)
            .Columns(
                new TaskDescriptionColumn(),
                new ProgressBarColumn(),
                new PercentageColumn(),
                new ElapsedTimeColumn(),
                new RemainingTimeColumn(),
                new SpinnerColumn()
            )
            .Start(context =>
            {
                var task = context.AddTask(label, maxValue: 1);
                result = body(
                    line => AnsiConsole.WriteLine(line),
                    (done, total) =>
                    {
                        task.MaxValue = Math.Max(1, total);
                        task.Value = done;
                    }
                );
            });
        return result;
    }

    /// <summary>Runs a training body with a log callback and a per-bag callback (done, total, training?).</summary>
    public static T Training<T>(int epochs, Func<Action<string>, Action<int, int, bool>?, Action<int, int>?, T> body)
    {
        if (!Interactive)
            return body(CommandRunner.Log, null, null);
        T result = default!;
        AnsiConsole
            .Progress()
            .AutoClear(true)
            .Columns(
                new TaskDescriptionColumn(),
                new ProgressBarColumn(),
                new PercentageColumn(),
                new ElapsedTimeColumn(),
                new RemainingTimeColumn(),
                new SpinnerColumn()
            )
            .Start(context =>
            {
                var check = context.AddTask("checking images", maxValue: 1);
                var overall = context.AddTask("all epochs", maxValue: 1);
                var epoch = context.AddTask("epoch", maxValue: 1);
                int trainingBags = 0;
                void Checked(int done, int total)
                {
                    check.MaxValue = Math.Max(1, total);
                    check.Value = done;
                }
                result = body(
                    line => AnsiConsole.WriteLine(line),
                    (done, total, training) =>
                    {
                        epoch.Description = training ? "epoch: training" : "epoch: validation";
                        epoch.MaxValue = Math.Max(1, total);
                        epoch.Value = done;
                        if (!training)
                            return;
                        overall.MaxValue = Math.Max(1, (double)total * epochs);
                        overall.Value = ++trainingBags;
                    },
                    Checked
                );
            });
        return result;
    }
}
