using Amil.MLNet.Transforms.Features;

namespace Amil.MLNet.Transforms.Encoders.Quantization;

/// <summary>A quantized encoder and how closely it agrees with the one it came from.</summary>
/// <param name="Manifest">The int8 encoder's manifest path (beside its ONNX file): use it as any encoder.</param>
/// <param name="Summary">What was quantized, and the sizes.</param>
/// <param name="Patches">The fixed patches both encoders encoded.</param>
/// <param name="MinimumCosine">The lowest cosine similarity between a patch's int8 and float features.</param>
/// <param name="MeanCosine">The mean of those similarities.</param>
public sealed record EncoderQuantizationReport(
    string Manifest,
    QuantizationSummary Summary,
    int Patches,
    double MinimumCosine,
    double MeanCosine
);

/// <summary>
/// Writes an int8 copy of an ONNX encoder (its matrix products; convolutions stay float) with its manifest, and
/// measures how closely its features follow the original's on fixed patches. The copy is another encoder (its own
/// name and hash), so features, caches and saved models never mix the two.
/// </summary>
public static class EncoderQuantization
{
    /// <summary>Patches the agreement is measured on.</summary>
    public const int AgreementPatches = 32;

    /// <param name="encoder">A manifest, an ONNX file with its manifest beside it, or a registered name.</param>
    /// <param name="outputFolder">Where NAME-int8.onnx and NAME-int8.json are written.</param>
    /// <exception cref="ArgumentException">The built-in ResNet18 (nothing but convolutions), or an unknown
    /// encoder.</exception>
    /// <exception cref="InvalidDataException">The file cannot be quantized; the message says why.</exception>
    public static EncoderQuantizationReport Quantize(string encoder, string outputFolder)
    {
        if (PatchEncoders.IsBuiltIn(encoder))
            throw new ArgumentException(
                $"The built-in {PatchEncoders.ResNet18} is convolutions only, which int8 quantization leaves float: "
                    + "quantize a transformer encoder (ViT: UNI, Virchow, …) exported as ONNX."
            );
        var manifest = PatchEncoders.Manifest(encoder);
        EncoderSession.CheckFile(manifest);
        Directory.CreateDirectory(outputFolder);
        string name = manifest.Name + "-int8";
        string onnx = Path.GetFullPath(Path.Combine(outputFolder, name + ".onnx"));
        var summary = Int8Quantizer.Quantize(manifest.File, onnx);
        var copy = EncoderManifest.Load(PatchEncoders.ManifestPath(encoder));
        copy.Name = name;
        copy.File = Path.GetFileName(onnx);
        copy.Sha256 = FileHash.Sha256(onnx);
        // Inputs are quantized with one scale per call: one patch a call keeps a patch's features its own.
        copy.MaxBatchSize = 1;
        string manifestPath = Path.Combine(Path.GetDirectoryName(onnx)!, name + ".json");
        AtomicFile.Write(manifestPath, temp => File.WriteAllText(temp, copy.ToJson()));
        try
        {
            var (minimum, mean) = Agreement(encoder, manifestPath);
            return new EncoderQuantizationReport(manifestPath, summary, AgreementPatches, minimum, mean);
        }
        catch
        {
            // An encoder that cannot run is not left looking like one.
            File.Delete(manifestPath);
            File.Delete(onnx);
            throw;
        }
    }

    /// <summary>Cosine similarity of each fixed patch's features from the two encoders: lowest and mean.</summary>
    private static (double Minimum, double Mean) Agreement(string original, string quantized)
    {
        var reference = PatchFeatureExtractor.CreateWithThreads(original, 1);
        var int8 = PatchFeatureExtractor.CreateWithThreads(quantized, 1);
        try
        {
            int size = reference.InputSize;
            var patches = EncoderCheck.FixedPatches(AgreementPatches, size);
            var layout = EncoderCheck.Layout(AgreementPatches, size);
            var a = reference.Extract(patches, layout, 1f, 8);
            var b = int8.Extract(patches, layout, 1f, 8);
            FeatureCheck.ThrowUnlessFinite(quantized, "int8 encoder features", b);
            int d = reference.FeatureSize;
            var cosines = Enumerable
                .Range(0, AgreementPatches)
                .Select(k => Cosine(a.AsSpan(k * d, d), b.AsSpan(k * d, d)))
                .ToList();
            return (cosines.Min(), cosines.Average());
        }
        finally
        {
            reference.Close();
            int8.Close();
        }
    }

    internal static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0,
            na = 0,
            nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return na == 0 || nb == 0 ? (na == nb ? 1 : 0) : dot / Math.Sqrt(na * nb);
    }
}
