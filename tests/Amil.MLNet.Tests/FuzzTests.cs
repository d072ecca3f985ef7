using Amil.MLNet.Runner;
using Amil.MLNet.Transforms.Images;
using CsCheck;
using SkiaSharp;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>
/// Random bytes, random truncations and random option values: the readers answer with an image or an
/// <see cref="ImageReadException"/>, the CLI with exit 0 or 1 — never an internal error (exit 2), never a hang.
/// </summary>
public sealed class FuzzTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Samples per property; AMIL_FUZZ_SCALE=10 explores ten times further (not part of the default
    /// suite).</summary>
    private static int Iterations(int count) =>
        count * (int.TryParse(Environment.GetEnvironmentVariable("AMIL_FUZZ_SCALE"), out int k) ? Math.Max(1, k) : 1);

    private readonly string _work = TestTemp.Folder("amil-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    /// <summary>Valid files of every format the readers take, to truncate and corrupt.</summary>
    private List<byte[]> ValidFiles()
    {
        var png = Path.Combine(_work, "valid.png");
        TestImages.WritePng(png, 60, 40, dark: true, seed: 1);
        var image = RgbImageReader.Read(png);
        var tiff = Path.Combine(_work, "valid.tif");
        TiffCodec.Write(tiff, image);
        using var bitmap = SKBitmap.Decode(png);
        using var jpeg = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        return [File.ReadAllBytes(png), File.ReadAllBytes(tiff), jpeg.ToArray()];
    }

    private static void ReadWithin(string path)
    {
        var read = Task.Run(() =>
        {
            try
            {
                var image = RgbImageReader.Read(path);
                Assert.Equal(image.Width * image.Height * 3, image.Pixels.Length);
                var (width, height) = RgbImageReader.ReadSize(path);
                Assert.True(width > 0 && height > 0);
            }
            catch (ImageReadException) { }
        });
        Assert.True(read.Wait(Patience), $"reading {path} did not finish in {Patience.TotalSeconds} s");
        read.GetAwaiter().GetResult(); // any exception other than ImageReadException fails the test
    }

    [Fact]
    public void RandomBytesAreReadOrRefusedCleanly()
    {
        var path = Path.Combine(_work, "random.png");
        var valid = ValidFiles();
        // Pure noise, and noise behind each format's real header (so the decoders get past their signature checks).
        Gen.Select(Gen.Byte.Array[0, 3000], Gen.Int[-1, valid.Count - 1])
            .Sample(
                (noise, header) =>
                {
                    byte[] bytes =
                        header < 0 ? noise : [.. valid[header].AsSpan(0, Math.Min(64, valid[header].Length)), .. noise];
                    File.WriteAllBytes(path, bytes);
                    ReadWithin(path);
                },
                iter: Iterations(300),
                threads: 1
            );
    }

    [Fact]
    public void TruncatedAndCorruptedImagesAreReadOrRefusedCleanly()
    {
        var path = Path.Combine(_work, "damaged.img");
        var valid = ValidFiles();
        Gen.Select(Gen.Int[0, valid.Count - 1], Gen.Double[0, 1], Gen.Int[0, 16], Gen.Int[0, int.MaxValue])
            .Sample(
                (which, cut, flips, seed) =>
                {
                    var bytes = valid[which][..(int)(valid[which].Length * cut)];
                    var random = new Random(seed);
                    for (int i = 0; i < flips && bytes.Length > 0; i++)
                        bytes[random.Next(bytes.Length)] ^= (byte)(1 + random.Next(255));
                    File.WriteAllBytes(path, bytes);
                    ReadWithin(path);
                },
                iter: Iterations(300),
                threads: 1
            );
    }

    [Fact]
    public void RandomOptionValuesNeverEndInAnInternalError()
    {
        var data = TestImages.ImageFolder(Path.Combine(_work, "data"), 56, 56, ("", 2));
        string[] values =
        [
            "0",
            "-1",
            "1",
            "2",
            "3",
            "28",
            "56",
            "100",
            "1000",
            "2147483648",
            "1e30",
            "1e-9",
            "NaN",
            "abc",
            "",
            "56x56",
            "28x56",
            "0x0",
            "none",
            "x",
            "99999x99999",
            "-5x3",
            "1x1",
            "error",
            "skip",
            "gated",
            "cnn",
            "resnet18",
        ];
        string[] options =
        [
            "--patch-size",
            "--stride",
            "--crop",
            "--resize",
            "--max-patches",
            "--learning-rate",
            "--seed",
            "--pooling",
            "--on-bad-image",
            "--patience",
            "--cnn-input-scale",
            "--baseline",
            "--encoder",
        ];
        var genOption = Gen.Select(Gen.OneOf(options), Gen.OneOf(values));
        int run = 0;
        var exits = new int[3];
        var output = new StringWriter();
        var (stdout, stderr) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(output);
        try
        {
            genOption
                .Array[0, 4]
                .Sample(
                    chosen =>
                    {
                        var args = new List<string>
                        {
                            "train",
                            "--data",
                            data,
                            "--layout",
                            "image-folder",
                            "--epochs",
                            "1",
                            "--crop",
                            "none",
                            "--out",
                            Path.Combine(_work, $"run{run++}"),
                            "--feature-cache",
                            Path.Combine(_work, "cache"),
                        };
                        foreach (var (option, value) in chosen)
                            args.AddRange([option, value]);
                        var job = Task.Run(() => Cli.Run([.. args]));
                        Assert.True(
                            job.Wait(TimeSpan.FromSeconds(120)),
                            $"amil {string.Join(' ', args)} did not finish"
                        );
                        Assert.True(
                            job.Result is 0 or 1,
                            $"amil {string.Join(' ', args)} exited {job.Result}:\n{Tail(output)}"
                        );
                        exits[job.Result]++;
                    },
                    iter: Iterations(40),
                    threads: 1
                );
            Assert.True(
                exits[0] > 0 && exits[1] > 0,
                $"the samples should both train and fail: exits {exits[0]} × 0, {exits[1]} × 1"
            );
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }

    private static string Tail(StringWriter writer)
    {
        var text = writer.ToString();
        return text.Length > 2000 ? text[^2000..] : text;
    }
}
