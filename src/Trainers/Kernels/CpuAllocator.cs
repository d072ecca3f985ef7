using System.Runtime.InteropServices;

namespace Amil.MLNet.Trainers.Kernels;

/// <summary>How the C library allocates libtorch's CPU tensors. glibc serves large blocks with <c>mmap</c> and unmaps
/// them when they are freed, so every training step faults its buffers in again: on a 2-core machine a third of the
/// CPU time went to the kernel and training ran at half speed (docs/speed-and-platforms.md, "A lead: glibc's
/// allocator").</summary>
public static class CpuAllocator
{
    private const int TrimThreshold = -1,
        MmapThreshold = -3;

    /// <summary>On Linux with glibc, keeps freed memory in the process for reuse (blocks below 2 GiB come from the heap
    /// and the heap is not trimmed), unless the environment already sets <c>MALLOC_MMAP_THRESHOLD_</c>,
    /// <c>MALLOC_TRIM_THRESHOLD_</c> or <c>GLIBC_TUNABLES</c>. Call it once, first thing in the process: the peak
    /// resident memory stays as it is, freed memory is not given back. Elsewhere it does nothing.</summary>
    /// <returns>Whether the setting was made.</returns>
    public static bool KeepFreedMemory()
    {
        if (!OperatingSystem.IsLinux())
            return false;
        foreach (var name in new[] { "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES" })
            if (Environment.GetEnvironmentVariable(name) is not null)
                return false;
        try
        {
            return MallOpt(MmapThreshold, int.MaxValue) == 1 && MallOpt(TrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // not glibc (musl, for one): its allocator is left as it is
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);
}
