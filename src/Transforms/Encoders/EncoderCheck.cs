using System.Diagnostics;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Features;

namespace Amil.MLNet.Transforms.Encoders;

/// <summary>What <see cref="EncoderCheck.Run"/> found: the encoder as opened, and its speed and memory on this
/// machine.</summary>
/// <param name="Input">The graph input fed and its declared shape.</param>
/// <param name="Output">The graph output read and its declared shape.</param>
/// <param name="TilesPerSecond">Patches encoded per second in batches of <paramref name="BatchSize"/>, after one
/// warm-up batch.</param>
/// <param name="PeakMemoryMegabytes">The process's peak resident memory after the runs, in MB.</param>
/// <param name="Fingerprint">The first features of the fixed patch (to compare two machines or exports).</param>
public sealed record EncoderCheckReport(
    EncoderManifest Manifest,
    string Input,
    string Output,
    int BatchSize,
    double TilesPerSecond,
    double PeakMemoryMegabytes,
    float[] Fingerprint
);

/// <summary>Opens an encoder as its manifest describes it (file hash, input shape, output), encodes a fixed patch and
/// times a few batches: the check a lab runs on a new encoder file before training on it.</summary>
public static class EncoderCheck
{
    /// <summary>Checks <paramref name="encoder"/> ("resnet18", a manifest, an ONNX file with its manifest, or a
    /// registered name).</summary>
    /// <exception cref="ArgumentException">The encoder cannot be found.</exception>
    /// <exception cref="InvalidDataException">The file and the manifest disagree; the message says how.</exception>
    /// <param name="encoder">The encoder reference.</param>
    /// <param name="batchSize">Patches per ONNX Runtime call while timing.</param>
    /// <param name="seconds">How long to time batches for.</param>
    /// <param name="threads">ONNX Runtime threads; null uses the shared extractor, on every core.</param>
    public static EncoderCheckReport Run(string encoder, int batchSize = 16, double seconds = 3, int? threads = null)
    {
        if (batchSize < 1 || !(seconds > 0) || threads is < 1)
            throw new ArgumentException(
                $"Encoder check: batch size, seconds and threads must be positive (got {batchSize}, {seconds}, "
                    + $"{threads})."
            );
        var extractor = threads is { } n
            ? PatchFeatureExtractor.CreateWithThreads(encoder, n)
            : PatchFeatureExtractor.Get(encoder);
        try
        {
            return Measure(extractor, encoder, batchSize, seconds);
        }
        finally
        {
            if (threads is not null)
                extractor.Close();
        }
    }

    private static EncoderCheckReport Measure(
        PatchFeatureExtractor extractor,
        string encoder,
        int batchSize,
        double seconds
    )
    {
        int size = extractor.InputSize;
        var one = FixedPatches(1, size);
        var features = extractor.Extract(one, Layout(1, size), 1f, 1);
        FeatureCheck.ThrowUnlessFinite(encoder, $"encoder '{extractor.Manifest.Name}' features", features);
        var batch = FixedPatches(batchSize, size);
        extractor.Extract(batch, Layout(batchSize, size), 1f, batchSize); // warm-up
        var clock = Stopwatch.StartNew();
        int done = 0;
        while (done == 0 || clock.Elapsed.TotalSeconds < seconds)
        {
            extractor.Extract(batch, Layout(batchSize, size), 1f, batchSize);
            done += batchSize;
        }
        double rate = done / clock.Elapsed.TotalSeconds;
        using var process = Process.GetCurrentProcess();
        return new EncoderCheckReport(
            extractor.Manifest,
            extractor.InputDescription,
            extractor.OutputDescription,
            batchSize,
            rate,
            process.PeakWorkingSet64 / 1e6,
            features[..Math.Min(8, features.Length)]
        );
    }

    /// <summary>n RGB patches of side <paramref name="size"/> as 0…255 planes: a fixed pattern of integers, the same
    /// on every machine and in the PyTorch reference script.</summary>
    internal static float[] FixedPatches(int n, int size)
    {
        var pixels = new float[n * 3 * size * size];
        for (int k = 0; k < n; k++)
        for (int c = 0; c < 3; c++)
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
            pixels[((k * 3 + c) * size + y) * size + x] = (x * 37 + y * 11 + c * 71 + k * 53 + (x * y) % 29) % 256;
        return pixels;
    }

    internal static BagLayout Layout(int n, int size) => new(3, size, size, 1, n, 0, 0, n * size, size);
}
