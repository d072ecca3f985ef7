using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Amil.MLNet.Trainers;

/// <summary>A device was asked for that this machine's libtorch cannot provide (CUDA on a CPU-only build, or a GPU
/// number past the last).</summary>
public sealed class DeviceUnavailableException(string message) : InvalidOperationException(message);

/// <summary>Where a network runs: the CPU, a CUDA GPU, or the GPU when libtorch has one (auto).</summary>
public enum DeviceKind
{
    /// <summary>The CPU, always there. The default.</summary>
    Cpu,

    /// <summary>CUDA GPU number <see cref="ComputeDevice.Index"/>; an error when libtorch has no CUDA.</summary>
    Cuda,

    /// <summary>CUDA GPU 0 when libtorch has CUDA, else the CPU.</summary>
    Auto,
}

/// <summary>A device setting, as the command line spells it: cpu, cuda, cuda:N or auto. Model files never depend
/// on it: weights are saved from CPU copies, so a model trained on a GPU scores on a CPU and the other way
/// round.</summary>
public readonly record struct ComputeDevice(DeviceKind Kind, int Index = 0)
{
    /// <summary>The CPU.</summary>
    public static ComputeDevice Cpu => new(DeviceKind.Cpu);

    /// <summary>Parses cpu, cuda, cuda:N or auto (case-insensitive).</summary>
    public static ComputeDevice Parse(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t == "cpu")
            return Cpu;
        if (t == "auto")
            return new ComputeDevice(DeviceKind.Auto);
        if (t == "cuda")
            return new ComputeDevice(DeviceKind.Cuda);
        if (
            t.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(t[5..], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
        )
            return new ComputeDevice(DeviceKind.Cuda, index);
        throw new ArgumentException($"Device '{text}' is not one of cpu, cuda, cuda:N (N = 0, 1, …) or auto.");
    }

    /// <summary>"cpu", "cuda", "cuda:N" or "auto": what <see cref="Parse"/> reads back.</summary>
    public override string ToString() =>
        Kind switch
        {
            DeviceKind.Cuda => Index == 0 ? "cuda" : $"cuda:{Index}",
            DeviceKind.Auto => "auto",
            _ => "cpu",
        };

    /// <summary>Whether the libtorch in use has CUDA and sees a GPU.</summary>
    public static bool CudaAvailable()
    {
        try
        {
            return cuda.is_available();
        }
        catch (Exception e)
            when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
        {
            return false;
        }
    }

    /// <summary>The TorchSharp device to put networks and bags on; a clear error when CUDA is asked for and
    /// missing.</summary>
    public Device Resolve()
    {
        switch (Kind)
        {
            case DeviceKind.Cpu:
                return CPU;
            case DeviceKind.Auto:
                return CudaAvailable() ? CUDA : CPU;
        }
        if (!CudaAvailable())
            throw new DeviceUnavailableException(
                $"Device {this} was asked for, but the libtorch in use has no CUDA (TorchSharp-cpu, or no GPU "
                    + "visible). Provide a CUDA libtorch: put an installed CUDA PyTorch's torch/lib folder on "
                    + "LD_LIBRARY_PATH, or build with -p:AmilTorchBackend=cuda -p:AmilTorchPackage=<a CUDA "
                    + "libtorch package your feed serves> (docs/speed-and-platforms.md, \"GPU\"); or use --device cpu."
            );
        int count = cuda.device_count();
        if (Index >= count)
            throw new DeviceUnavailableException(
                $"Device {this}: there {(count == 1 ? "is 1 GPU" : $"are {count} GPUs")} (cuda:0…cuda:{count - 1})."
            );
        return new Device(DeviceType.CUDA, Index);
    }

    /// <summary>The CUDA GPU this setting names, null for the CPU (auto: GPU 0 when libtorch has CUDA): where
    /// frozen encoders run (<see cref="Transforms.Encoders.EncoderExecution"/>). Not checked here: ONNX Runtime
    /// says whether it can use the GPU when an encoder opens, and needs no CUDA libtorch for it.</summary>
    public int? CudaIndex() =>
        Kind switch
        {
            DeviceKind.Cuda => Index,
            DeviceKind.Auto => CudaAvailable() ? 0 : null,
            _ => null,
        };

    /// <summary>What a run records: the device actually used, e.g. "cpu" or "cuda:0".</summary>
    public string Describe() => Resolve() is var d && d.type == DeviceType.CUDA ? $"cuda:{d.index}" : "cpu";
}
