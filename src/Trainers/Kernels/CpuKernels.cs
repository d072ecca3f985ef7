using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Amil.MLNet.Trainers.Kernels;

/// <summary>
/// The CPU kernels of this process. On some x86 machines (seen: a 2-core "AMD EPYC" VM, family 26, with no cache
/// topology) libtorch's oneDNN convolutions return wrong values and random NaN. The first network built in a process
/// runs <see cref="KernelCheck"/> and, when oneDNN disagrees with the reference path, switches the whole process
/// to the fastest path that agrees and prints one warning. The choice is process-wide because libtorch's switch
/// for oneDNN is.
/// </summary>
public static class CpuKernels
{
    /// <summary>Forces a path for processes that do not call <see cref="Use"/>: auto, onednn, channels-last or
    /// reference.</summary>
    public const string EnvironmentVariable = "AMIL_CPU_KERNELS";

    private static readonly Lock Gate = new();
    private static CpuKernelMode? forced;
    private static volatile CpuKernelCheck? current;

    /// <summary>The kernels in use, checking and choosing them first if this process has not yet.</summary>
    public static CpuKernelCheck Current => current ?? Decide();

    /// <summary>Chooses the kernels for this process: <see cref="CpuKernelMode.Auto"/> runs the self-check, any
    /// other mode is taken as it is. Call it before the first training or scoring; it overrides
    /// <see cref="EnvironmentVariable"/>.</summary>
    public static CpuKernelCheck Use(CpuKernelMode mode)
    {
        lock (Gate)
        {
            forced = mode;
            current = null;
            return Decide();
        }
    }

    /// <summary>Whether convolutions should be given channels-last inputs.</summary>
    internal static bool ChannelsLast => Current.Mode == CpuKernelMode.ChannelsLast;

    /// <summary>A convolution's input as the chosen kernels want it: the same values, channels-last in memory when
    /// that path is in use on the CPU. Always a new tensor handle, for the caller to dispose.</summary>
    internal static Tensor ForConvolution(Tensor input) =>
        ChannelsLast && input.device_type == DeviceType.CPU ? ToChannelsLast(input) : input.alias();

    /// <summary>N × C × H × W values laid out as N × H × W × C (libtorch's channels_last strides).</summary>
    internal static Tensor ToChannelsLast(Tensor input)
    {
        using var nhwc = input.permute(0, 2, 3, 1);
        using var packed = nhwc.contiguous();
        return packed.permute(0, 3, 1, 2);
    }

    private static CpuKernelCheck Decide()
    {
        lock (Gate)
        {
            if (current is { } decided)
                return decided;
            var requested = forced ?? FromEnvironment();
            IReadOnlyList<KernelPathResult> results = [];
            var active = requested;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            string? note = null;
            if (!LibTorchSwitch.Available)
            {
                // Another platform's libtorch (its own name mangling): oneDNN stays as it is, unchecked.
                if (requested == CpuKernelMode.Reference)
                    throw new ArgumentException(
                        "The reference CPU kernels need libtorch's oneDNN switch, which the libtorch in use does not "
                            + "export; use auto, onednn or channels-last."
                    );
                note = "not checked: the libtorch in use does not export its oneDNN switch";
                active = requested == CpuKernelMode.Auto ? CpuKernelMode.OneDnn : requested;
            }
            else if (requested == CpuKernelMode.Auto)
            {
                results = KernelCheck.Measure(KernelCheck.Operations, LibTorchSwitch.SetOneDnn);
                active = KernelCheck.Choose(results);
            }
            if (LibTorchSwitch.Available)
                LibTorchSwitch.SetOneDnn(active != CpuKernelMode.Reference);
            var check = new CpuKernelCheck(CpuName(), requested.Name(), active.Name(), results)
            {
                Milliseconds = Math.Round(clock.Elapsed.TotalMilliseconds, 1),
                Note = note,
            };
            if (check.Warning() is { } warning)
                Console.Error.WriteLine($"warning: {warning}");
            current = check;
            return check;
        }
    }

    private static CpuKernelMode FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(text))
            return CpuKernelMode.Auto;
        try
        {
            return CpuKernelModeNames.Parse(text);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{EnvironmentVariable}: {e.Message}", e);
        }
    }

    /// <summary>The CPU's model name from /proc/cpuinfo, else the architecture.</summary>
    internal static string CpuName() => Transforms.MachineCpu.Name;
}

/// <summary>libtorch's process-wide oneDNN switch (<c>at::globalContext().setUserEnabledMkldnn</c>), which
/// TorchSharp does not expose. libtorch_cpu is already loaded by TorchSharp when this runs.</summary>
internal static class LibTorchSwitch
{
    private const string Library = "libtorch_cpu";

    private static readonly Lazy<bool> Exported = new(() =>
    {
        try
        {
            _ = torch.__version__;
            UserEnabledMkldnn(GlobalContext());
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    });

    /// <summary>Whether the libtorch in use exports the switch (Linux builds do; others mangle names their own
    /// way).</summary>
    public static bool Available => Exported.Value;

    /// <summary>Switches oneDNN on or off; NNPACK goes with it, so that off means libtorch's own convolutions.
    /// NNPACK stays off on CPUs it does not support: libtorch would probe it on every convolution it does not give
    /// oneDNN and log "Could not initialize NNPACK" each time (24 lines of a new user's first screen, from the
    /// self-check alone), for no kernel it could use.</summary>
    public static void SetOneDnn(bool enabled)
    {
        _ = torch.__version__; // loads TorchSharp's natives, libtorch_cpu among them
        var context = GlobalContext();
        SetUserEnabledMkldnn(context, enabled);
        SetUserEnabledNnpack(context, enabled && NnpackSupported.Value);
    }

    /// <summary>Whether NNPACK runs on this CPU, asked once with libtorch's warnings quieted (the answer "no" is
    /// what it would warn about).</summary>
    private static readonly Lazy<bool> NnpackSupported = new(() =>
    {
        LibTorchLog.QuietWarnings(true);
        try
        {
            return NnpackAvailable();
        }
        catch (EntryPointNotFoundException)
        {
            return true; // a libtorch without the probe: leave NNPACK as libtorch has it
        }
        finally
        {
            LibTorchLog.QuietWarnings(false);
        }
    });

    [DllImport(Library, EntryPoint = "_ZN2at6native17_nnpack_availableEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool NnpackAvailable();

    public static bool OneDnnEnabled()
    {
        _ = torch.__version__;
        return UserEnabledMkldnn(GlobalContext());
    }

    [DllImport(Library, EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport(Library, EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport(Library, EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static extern void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport(Library, EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool UserEnabledMkldnn(IntPtr context);
}

/// <summary>libtorch's log thresholds (c10's exported <c>FLAGS_minloglevel</c>, which decides whether a message is
/// written, and <c>FLAGS_caffe2_log_level</c>; 0 info, 1 warning, 2 error), which TorchSharp does not
/// expose.</summary>
internal static class LibTorchLog
{
    private const int Error = 2;
    private static readonly Lock Gate = new();
    private static int[]? saved;

    private static readonly Lazy<IntPtr[]> Levels = new(() =>
        NativeLibrary.TryLoad("libc10", typeof(LibTorchLog).Assembly, null, out var library)
            ? new[] { "FLAGS_minloglevel", "FLAGS_caffe2_log_level" }
                .Select(name => NativeLibrary.TryGetExport(library, name, out var level) ? level : IntPtr.Zero)
                .Where(level => level != IntPtr.Zero)
                .ToArray()
            : []
    );

    /// <summary>Raises the thresholds to errors, or puts back the ones they had (nothing where they are not
    /// exported).</summary>
    public static void QuietWarnings(bool quiet)
    {
        var levels = Levels.Value;
        if (levels.Length == 0)
            return;
        lock (Gate)
        {
            if (quiet && saved is null)
            {
                saved = levels.Select(l => Marshal.ReadInt32(l)).ToArray();
                for (int i = 0; i < levels.Length; i++)
                    Marshal.WriteInt32(levels[i], Math.Max(saved[i], Error));
            }
            else if (!quiet && saved is { } old)
            {
                for (int i = 0; i < levels.Length; i++)
                    Marshal.WriteInt32(levels[i], old[i]);
                saved = null;
            }
        }
    }
}
