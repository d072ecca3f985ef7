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

    private static readonly Lazy<bool> Available = new(() =>
        OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider")
    );

    /// <summary>Whether the ONNX Runtime in use was built with the CUDA execution provider (whether CUDA's own
    /// libraries and a GPU are there shows only when an encoder opens).</summary>
    public static bool CudaBuilt => Available.Value;

    /// <summary>Where encoders go when the network runs on <paramref name="networkGpu"/>: that GPU when ONNX
    /// Runtime has the CUDA provider, else the CPU (a CUDA libtorch over our CPU ONNX Runtime trains and scores on
    /// the GPU with its encoders on the CPU, as before encoders could use a GPU).</summary>
    public static int? BesideNetwork(int? networkGpu) => networkGpu is not null && CudaBuilt ? networkGpu : null;

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
            using var cuda = new OrtCUDAProviderOptions();
            // A device number past the last is refused here, not as a broken model later; TF32 stays off so a
            // GPU's features follow the CPU's to float precision.
            cuda.UpdateOptions(
                new Dictionary<string, string>
                {
                    ["device_id"] = device.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["use_tf32"] = "0",
                }
            );
            options.AppendExecutionProvider_CUDA(cuda);
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            throw Unavailable(encoder, device, e);
        }
    }

    /// <summary>The error for an encoder ONNX Runtime cannot run on GPU <paramref name="device"/>.</summary>
    internal static EncoderDeviceUnavailableException Unavailable(string encoder, int device, Exception cause) =>
        new(
            $"Encoder '{encoder}' was asked to run on CUDA GPU {device}, but ONNX Runtime cannot use its CUDA "
                + $"execution provider here ({cause.Message.Trim()}). Encoding on a GPU needs ONNX Runtime's GPU build "
                + "(build with -p:AmilOnnxRuntime=gpu: Microsoft.ML.OnnxRuntime.Gpu.Linux), the CUDA libraries it "
                + "links (for 1.32.0: CUDA 13's cudart, cuBLAS and cuRAND, and cuDNN) on the library path, and a "
                + "visible GPU of that number; ONNX Runtime may have named above what it could not load. Or encode "
                + "on the CPU.",
            cause
        );
}
