using System.Globalization;
using System.Text.Json.Serialization;

namespace Amil.MLNet.Trainers.Kernels;

/// <summary>One kernel path measured by the self-check against the reference path on the same fixed inputs.</summary>
/// <param name="Path">The path measured.</param>
/// <param name="WorstError">Largest |difference| of any output or gradient, relative to that tensor's largest
/// reference magnitude; null when a value was not finite.</param>
/// <param name="WorstOperation">The operation where <paramref name="WorstError"/> occurred.</param>
/// <param name="Milliseconds">Time of all operations, forward and backward, once on this path.</param>
public sealed record KernelPathResult(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("worst_error")] double? WorstError,
    [property: JsonPropertyName("worst_operation")] string WorstOperation,
    [property: JsonPropertyName("non_finite")] bool NonFinite,
    [property: JsonPropertyName("milliseconds")] double Milliseconds
)
{
    /// <summary>Whether the path agrees with the reference: finite everywhere and within
    /// <see cref="KernelCheck.Tolerance"/>.</summary>
    [JsonIgnore]
    public bool Agrees => !NonFinite && WorstError <= KernelCheck.Tolerance;

    internal string Describe() =>
        NonFinite
            ? $"non-finite values in {WorstOperation}"
            : string.Create(CultureInfo.InvariantCulture, $"worst error {WorstError:G2} in {WorstOperation}");
}

/// <summary>Which CPU kernels this process uses and why: the choice and, under <see cref="CpuKernelMode.Auto"/>, the
/// self-check's measurements. Recorded in config.json, metrics.json and the bench report.</summary>
/// <param name="Cpu">The CPU's model name as the operating system reports it.</param>
/// <param name="Requested">auto, or the path forced by the library option or AMIL_CPU_KERNELS.</param>
/// <param name="Active">The path in use.</param>
/// <param name="Checked">The self-check's measurements (oneDNN first), empty when the path was forced.</param>
public sealed record CpuKernelCheck(
    [property: JsonPropertyName("cpu")] string Cpu,
    [property: JsonPropertyName("requested")] string Requested,
    [property: JsonPropertyName("active")] string Active,
    [property: JsonPropertyName("checked")] IReadOnlyList<KernelPathResult> Checked
)
{
    /// <summary>The path in use, as the enum.</summary>
    [JsonIgnore]
    public CpuKernelMode Mode { get; } = CpuKernelModeNames.Parse(Active);

    /// <summary>The self-check's measurement of the path in use; null when it was forced or is the reference.</summary>
    private KernelPathResult? ActiveResult => Checked.FirstOrDefault(p => p.Path == Active);

    /// <summary>Why nothing was checked under auto, when that happened.</summary>
    [JsonPropertyName("note")]
    public string? Note { get; init; }

    /// <summary>How long choosing took: the whole self-check under auto.</summary>
    [JsonPropertyName("check_milliseconds")]
    public double Milliseconds { get; init; }

    /// <summary>One line for logs: the path in use and, when checked, how it compared.</summary>
    public string Describe()
    {
        if (Checked.Count == 0)
            return $"CPU kernels: {Active} ({Note ?? "forced; not checked"}).";
        var active = ActiveResult;
        return Active == Checked[0].Path
            ? $"CPU kernels: {Active} (self-check: agrees with the reference path, {active!.Describe()})."
            : $"CPU kernels: {Active}, not onednn (self-check: onednn has {Checked[0].Describe()}"
                + (active is null ? ")." : $"; {Active} has {active.Describe()}).");
    }

    private static string Ms(KernelPathResult path) =>
        path.Milliseconds.ToString("F0", CultureInfo.InvariantCulture) + " ms";

    /// <summary>The warning printed once when the self-check moved the process off oneDNN; null when it did
    /// not.</summary>
    public string? Warning()
    {
        if (Checked.Count == 0 || Active == Checked[0].Path)
            return null;
        var oneDnn = Checked[0];
        var active = ActiveResult;
        string cost = active is null
            ? ""
            : $" The check's operations took {Ms(active)} on {Active} against {Ms(oneDnn)}"
                + " on onednn (docs/speed-and-platforms.md, \"Correct numbers on every CPU\", has the measured"
                + " cost per epoch).";
        return $"On this CPU ({Cpu}) libtorch's oneDNN kernels disagree with the reference path: "
            + FormattableString.Invariant($"{oneDnn.Describe()} (tolerance {KernelCheck.Tolerance:G1}). ")
            + $"This process computes with {Active} "
            + $"kernels instead, which agree.{cost} Set {CpuKernels.EnvironmentVariable}=onednn|channels-last|"
            + "reference to choose.";
    }
}
