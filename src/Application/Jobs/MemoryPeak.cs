namespace Amil.MLNet.Application.Jobs;

/// <summary>The process's peak resident memory, reset between measurements.</summary>
internal static class MemoryPeak
{
    /// <summary>Resets the kernel's peak resident size to the current one; returns the current size in MB.</summary>
    public static double Reset()
    {
        GC.Collect();
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Without it the peak is the process's whole life: still an upper bound.
        }
        return BenchJob.PeakRssMegabytes();
    }
}
