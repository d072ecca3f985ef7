using System.Runtime.InteropServices;

namespace Amil.MLNet.Transforms;

/// <summary>The CPU this process runs on, as the operating system names it.</summary>
/// <remarks>Infrastructure shared by the Amil.MLNet packages, public so that none needs another's internals; not
/// meant to be called from your code, and it may change in any version.</remarks>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public static class MachineCpu
{
    /// <summary>The model name from /proc/cpuinfo ("AMD EPYC"), else the architecture.</summary>
    public static string Name => NameOnce.Value;

    /// <summary>The model name with its family where the system gives one ("AMD EPYC, family 25"): VMs name
    /// different CPUs alike, and their speed and kernels differ.</summary>
    public static string Description => DescriptionOnce.Value;

    private static readonly Lazy<string> NameOnce = new(() =>
        Field("model name") ?? RuntimeInformation.ProcessArchitecture.ToString()
    );

    private static readonly Lazy<string> DescriptionOnce = new(() =>
        Field("cpu family") is { } family ? $"{Name}, family {family}" : Name
    );

    private static string? Field(string name)
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                    if (line.StartsWith(name, StringComparison.Ordinal) && line.IndexOf(':') is var c and > 0)
                        return line[(c + 1)..].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return null;
    }
}
