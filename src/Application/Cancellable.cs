namespace Amil.MLNet.Application;

/// <summary>Scoring that stops between items when the caller is cancelled (Ctrl-C, SIGTERM): the item in progress
/// finishes, nothing is written, and the verb exits with the signal's code.</summary>
internal static class Cancellable
{
    /// <summary>The items as they come, checking <paramref name="cancel"/> after each.</summary>
    public static IEnumerable<T> Checked<T>(this IEnumerable<T> items, CancellationToken cancel)
    {
        cancel.ThrowIfCancellationRequested();
        foreach (var item in items)
        {
            yield return item;
            cancel.ThrowIfCancellationRequested();
        }
    }
}
