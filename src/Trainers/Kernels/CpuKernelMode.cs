namespace Amil.MLNet.Trainers.Kernels;

/// <summary>Which libtorch kernels compute on the CPU. Chosen once per process (<see cref="CpuKernels"/>), from
/// the library option, else the <c>AMIL_CPU_KERNELS</c> environment variable, else <see cref="Auto"/>.</summary>
public enum CpuKernelMode
{
    /// <summary>The default: a self-check compares oneDNN with the reference path on fixed inputs and keeps oneDNN
    /// where it agrees, else the fastest path that agrees.</summary>
    Auto,

    /// <summary>libtorch's oneDNN (mkldnn) kernels as they are, unchecked: the fastest path on a healthy CPU.</summary>
    OneDnn,

    /// <summary>oneDNN with convolutions run in channels-last (NHWC) memory layout: other kernels, which compute
    /// correctly on CPUs where the default (NCHW-blocked) ones do not.</summary>
    ChannelsLast,

    /// <summary>oneDNN switched off: libtorch's own convolutions (im2col and a matrix product). Correct everywhere,
    /// several times slower.</summary>
    Reference,
}

/// <summary>How the command line and the environment variable spell <see cref="CpuKernelMode"/>.</summary>
public static class CpuKernelModeNames
{
    /// <summary>auto, onednn, channels-last, reference.</summary>
    public static string Name(this CpuKernelMode mode) =>
        mode switch
        {
            CpuKernelMode.OneDnn => "onednn",
            CpuKernelMode.ChannelsLast => "channels-last",
            CpuKernelMode.Reference => "reference",
            _ => "auto",
        };

    /// <summary>Parses a name of <see cref="Name"/> (case-insensitive); a clear error for anything else.</summary>
    public static CpuKernelMode Parse(string text)
    {
        var name = text.Trim().ToLowerInvariant();
        foreach (var mode in Enum.GetValues<CpuKernelMode>())
            if (mode.Name() == name)
                return mode;
        throw new ArgumentException(
            $"CPU kernels '{text}' is not one of {string.Join(", ", Enum.GetValues<CpuKernelMode>().Select(Name))}."
        );
    }
}
