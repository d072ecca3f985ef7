using Microsoft.ML.OnnxRuntime;

namespace Amil.MLNet.Transforms.Encoders;

/// <summary>An encoder was asked to run on a GPU that ONNX Runtime cannot use here.</summary>
public sealed class EncoderDeviceUnavailableException : InvalidOperationException
{
    internal EncoderDeviceUnavailableException(string message, Exception inner)
        : base(message, inner) { }
}

/// <summary>
/// Where frozen encoders run: the CPU (the default) or a CUDA GPU through ONNX Runtime's CUDA execution provider.
/// The choice belongs to a call, not the process: <see cref="OnCuda"/> sets it for the calling flow of execution
/// until disposed (a model scoring on a GPU sets it around each row), so other callers keep theirs. The CUDA provider
/// is loaded only when a GPU is asked for; its native library ships with Microsoft.ML.OnnxRuntime.Gpu.Linux, not with
/// the CPU package we build with by default (docs/encoders.md, "On a GPU").
/// </summary>
public static class EncoderExecution
{
    private static readonly AsyncLocal<int?> Scoped = new();

    /// <summary>The CUDA GPU encoders opened in the calling flow run on; null: the CPU.</summary>
    public static int? CudaDevice => Scoped.Value;

    /// <summary>Runs the encoders used in the calling flow on CUDA GPU <paramref name="device"/> (null: the CPU)
    /// until the result is disposed.</summary>
    public static IDisposable OnCuda(int? device)
    {
        if (device is < 0)
            throw new ArgumentOutOfRangeException(nameof(device), "A CUDA device number is 0 or more.");
        var previous = Scoped.Value;
        Scoped.Value = device;
        return new Restore(() => Scoped.Value = previous);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    /// <summary>Adds the CUDA execution provider for GPU <paramref name="device"/> to a session's options.</summary>
    /// <exception cref="EncoderDeviceUnavailableException">ONNX Runtime cannot load it here; the message says what
    /// is missing and what to do.</exception>
    internal static void UseCuda(SessionOptions options, int device, string encoder)
    {
        try
        {
            options.AppendExecutionProvider_CUDA(device);
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            throw new EncoderDeviceUnavailableException(
                $"Encoder '{encoder}' was asked to run on CUDA GPU {device}, but ONNX Runtime cannot use its CUDA "
                    + $"execution provider here ({e.Message.Trim()}). Encoding on a GPU needs ONNX Runtime's GPU build "
                    + "(build with -p:AmilOnnxRuntime=gpu: Microsoft.ML.OnnxRuntime.Gpu.Linux), the CUDA libraries it "
                    + "links (for 1.32.0: CUDA 13's cudart, cuBLAS and cuRAND, and cuDNN) on the library path, and a "
                    + "visible GPU; ONNX Runtime may have named above what it could not load. Or encode on the CPU.",
                e
            );
        }
    }
}
