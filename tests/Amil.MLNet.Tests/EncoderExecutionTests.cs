using Amil.MLNet.Transforms.Encoders;
using Amil.MLNet.Transforms.Features;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Encoders on a GPU: the device is the calling flow's, not the process's; asking for a GPU where ONNX
/// Runtime's CUDA execution provider cannot load is a clear error (exit 1 from the CLI), and the CPU keeps
/// working. A machine with ONNX Runtime's GPU build and a GPU skips the refusal checks.</summary>
public sealed class EncoderExecutionTests
{
    private static readonly string TinyVit = SmallEncoders.File("tiny_vit.json");

    [Fact]
    public void TheDeviceBelongsToTheCallingFlowAndIsRestored()
    {
        Assert.Null(EncoderExecution.CudaDevice);
        using (EncoderExecution.OnCuda(1))
        {
            Assert.Equal(1, EncoderExecution.CudaDevice);
            using (EncoderExecution.OnCuda(null))
                Assert.Null(EncoderExecution.CudaDevice);
            Assert.Equal(1, EncoderExecution.CudaDevice);
            int? elsewhere = -1;
            var worker = new Thread(() => elsewhere = EncoderExecution.CudaDevice); // work it starts goes with it
            worker.Start();
            worker.Join();
            Assert.Equal(1, elsewhere);
        }
        Assert.Null(EncoderExecution.CudaDevice);
        Assert.Throws<ArgumentOutOfRangeException>(() => EncoderExecution.OnCuda(-1));
    }

    [SkippableFact]
    public void AGpuOnnxRuntimeCannotUseIsRefusedWithWhatToDoAndTheCpuStillEncodes()
    {
        EncoderDeviceUnavailableException? refused = null;
        using (EncoderExecution.OnCuda(0))
            try
            {
                PatchFeatureExtractor.Get(TinyVit);
            }
            catch (EncoderDeviceUnavailableException e)
            {
                refused = e;
            }
        Skip.If(refused is null, "ONNX Runtime runs encoders on a GPU here: nothing to refuse");
        Assert.Contains("Encoder 'tiny-vit' was asked to run on CUDA GPU 0", refused!.Message);
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu.Linux", refused.Message);
        Assert.Equal(96, PatchFeatureExtractor.Get(TinyVit).FeatureSize);
    }

    [SkippableFact]
    public void BesideANetworkOnAGpuEncodersStayOnTheCpuWithoutOnnxRuntimesCudaProvider()
    {
        Skip.If(EncoderExecution.CudaBuilt, "this ONNX Runtime has the CUDA provider");
        Assert.Null(EncoderExecution.BesideNetwork(0));
        Assert.Null(EncoderExecution.BesideNetwork(null));
    }

    [SkippableFact]
    public void TheCliSaysSoAndExitsOne()
    {
        var (exit, _, error) = Programs.Amil("encoders", "check", TinyVit, "--device", "cuda", "--seconds", "0.1");
        Skip.If(exit == 0, "ONNX Runtime runs encoders on a GPU here: nothing to refuse");
        Assert.Equal(1, exit);
        Assert.Contains("cannot use its CUDA execution provider here", error);
    }
}
