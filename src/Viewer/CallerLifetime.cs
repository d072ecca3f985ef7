using Microsoft.Extensions.Hosting;

namespace Amil.MLNet.Viewer;

/// <summary>The viewer's host leaves the process's signals to whoever started it. ASP.NET Core's default console
/// lifetime takes Ctrl-C and SIGTERM for itself and stops the host behind its caller's back: a signal that arrived
/// before the CLI's own handler then stopped nothing the CLI waits on, and `amil view` hung.</summary>
internal sealed class CallerLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
