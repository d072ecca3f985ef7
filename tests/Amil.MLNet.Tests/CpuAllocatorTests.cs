using System.Runtime.InteropServices;
using Amil.MLNet.Trainers.Kernels;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>With freed memory kept, a large block freed and asked for again is served without faulting its pages in
/// again; a setting in the environment is left to win.</summary>
[Collection("alone")]
public sealed class CpuAllocatorTests
{
    // The size of libtorch's larger buffers in training (a LeNet bag's first feature maps): a block a thread's arena
    // holds (its heaps stop at 64 MiB; a larger block is mapped on its own whatever the setting).
    private const int Bytes = 16 << 20;

    [SkippableFact]
    public void ALargeBlockFreedAndTakenAgainIsNotFaultedInAgain()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && File.Exists("/proc/self/stat"), "needs Linux's /proc/self/stat");
        Skip.If(
            Environment.GetEnvironmentVariable("GLIBC_TUNABLES") is not null,
            "GLIBC_TUNABLES is set, so the allocator is left as the environment says"
        );
        Assert.True(CpuAllocator.KeepFreedMemory(), "mallopt refused the setting");
        Touch(); // the first time faults the pages in
        long before = MinorFaults();
        Touch();
        long faults = MinorFaults() - before;
        // Unmapped and mapped again, its 4,096 pages of 4 KiB would fault again.
        Assert.InRange(faults, 0, 500);

        Environment.SetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_", "131072");
        try
        {
            Assert.False(CpuAllocator.KeepFreedMemory());
        }
        finally
        {
            Environment.SetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_", null);
        }
    }

    private static void Touch()
    {
        var block = Marshal.AllocHGlobal(Bytes); // malloc
        try
        {
            for (int i = 0; i < Bytes; i += 4096)
                Marshal.WriteByte(block, i, 1);
        }
        finally
        {
            Marshal.FreeHGlobal(block);
        }
    }

    /// <summary>The process's minor page faults so far (field 10 of /proc/self/stat).</summary>
    private static long MinorFaults()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture);
    }
}
