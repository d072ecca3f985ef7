using Amil.MLNet.Runner;
using Amil.MLNet.Trainers;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>Device selection on a machine without CUDA (CI and this project's machines): every choice is parsed,
/// auto falls back to the CPU, and asking for CUDA is a clear error that says how to provide it.</summary>
public class DeviceTests
{
    [Theory]
    [InlineData("cpu", DeviceKind.Cpu, 0, "cpu")]
    [InlineData("CPU", DeviceKind.Cpu, 0, "cpu")]
    [InlineData("cuda", DeviceKind.Cuda, 0, "cuda")]
    [InlineData("cuda:0", DeviceKind.Cuda, 0, "cuda")]
    [InlineData("cuda:3", DeviceKind.Cuda, 3, "cuda:3")]
    [InlineData(" auto ", DeviceKind.Auto, 0, "auto")]
    public void DevicesParseAndPrintAsTheCommandLineSpellsThem(string text, DeviceKind kind, int index, string shown)
    {
        var device = ComputeDevice.Parse(text);
        Assert.Equal(new ComputeDevice(kind, index), device);
        Assert.Equal(shown, device.ToString());
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    [InlineData("")]
    public void UnknownDevicesAreRefusedByName(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => ComputeDevice.Parse(text));
        Assert.Contains("cpu, cuda, cuda:N", e.Message);
    }

    [SkippableFact]
    public void WithoutCudaAutoIsTheCpuAndCudaIsAClearError()
    {
        Skip.If(ComputeDevice.CudaAvailable(), "a check for machines without CUDA, like CI; this one has a GPU");
        Assert.Equal("cpu", new ComputeDevice(DeviceKind.Auto).Describe());
        Assert.Equal("cpu", ComputeDevice.Cpu.Describe());
        var e = Assert.Throws<DeviceUnavailableException>(() => new ComputeDevice(DeviceKind.Cuda, 1).Resolve());
        Assert.Contains("cuda:1", e.Message);
        Assert.Contains("LD_LIBRARY_PATH", e.Message);
        Assert.Contains("--device cpu", e.Message);
    }

    [SkippableFact]
    public void TrainOnAMissingGpuExitsOneBeforeWritingAnything()
    {
        Skip.If(ComputeDevice.CudaAvailable(), "a check for machines without CUDA, like CI; this one has a GPU");
        var work = TestTemp.Folder("amil-device-").FullName;
        var data = TestImages.ImageFolder(Path.Combine(work, "data"), 56, 56, ("", 2));
        var output = Path.Combine(work, "run");
        // Out of process, as a user runs it (the built CLI).
        var (exit, _, stderr) = Programs.Amil([
            "train",
            "--data",
            data,
            "--layout",
            "image-folder",
            "--device",
            "cuda",
            "--out",
            output,
        ]);
        Assert.Equal(1, exit);
        Assert.Contains("no CUDA", stderr);
        Assert.False(Directory.Exists(output));
        Assert.Equal(1, Cli.Run(["predict", "--model", "x.zip", "--input", data, "--out", output, "--device", "tpu"]));
    }
}
