using System.Text.Json;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Onnx;

namespace Amil.MLNet.Transforms.Encoders.Quantization;

/// <summary>A quantized encoder and how closely it agrees with the one it came from.</summary>
/// <param name="Manifest">The int8 encoder's manifest path (beside its ONNX file): use it as any encoder.</param>
/// <param name="Summary">What was quantized, and the sizes.</param>
/// <param name="Patches">The patches both encoders encoded for the agreement: held-out calibration images, or fixed
/// patches.</param>
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
/// Writes an int8 copy of an ONNX encoder with its manifest, and measures how closely its features follow the
/// original's. Matrix products are quantized dynamically (no data needed); convolutions statically, at activation
/// ranges measured on calibration images, and only when such images are given. The copy is another encoder (its own
/// name and hash), so features, caches and saved models never mix the two.
/// </summary>
public static class EncoderQuantization
{
    /// <summary>Fixed patches the agreement is measured on when no calibration images are given.</summary>
    public const int AgreementPatches = 32;

    /// <param name="encoder">A manifest, an ONNX file with its manifest beside it, a registered name, or
    /// "resnet18".</param>
    /// <param name="outputFolder">Where NAME-int8.onnx and NAME-int8.json are written.</param>
    /// <param name="calibrationFolder">Tiles like those the encoder will see (PNG, JPEG, TIFF or BMP; each image's
    /// centre square is one patch): three in four set the convolutions' activation ranges, the others measure the
    /// agreement. Null: convolutions stay float and the agreement is measured on fixed patches.</param>
    /// <exception cref="ArgumentException">The built-in ResNet18 without calibration images (nothing but
    /// convolutions), an unknown encoder, or a calibration folder with fewer than two images.</exception>
    /// <exception cref="InvalidDataException">The file cannot be quantized; the message says why.</exception>
    public static EncoderQuantizationReport Quantize(
        string encoder,
        string outputFolder,
        string? calibrationFolder = null
    )
    {
        if (PatchEncoders.IsBuiltIn(encoder) && calibrationFolder is null)
            throw new ArgumentException(
                $"The built-in {PatchEncoders.ResNet18} is convolutions only, which are quantized only with "
                    + "calibration images: give a folder of tiles like those it will encode."
            );
        // Without calibration the original is opened only after the edit, so a large model is held once at a time.
        var original = calibrationFolder is null ? null : PatchFeatureExtractor.CreateWithThreads(encoder, 1);
        try
        {
            var manifest = original?.Manifest ?? PatchEncoders.Manifest(encoder);
            if (original is null) // opening it checked the file
                EncoderSession.CheckFile(manifest);
            var calibration = original is null
                ? null
                : ActivationCalibration.Patches(calibrationFolder!, manifest.ResizeTo ?? manifest.InputSize);
            var written = Write(manifest, outputFolder, original, calibration?.Where((_, i) => i % 4 != 1));
            original ??= PatchFeatureExtractor.CreateWithThreads(encoder, 1);
            return Report(original, written, calibration?.Where((_, i) => i % 4 == 1).ToList());
        }
        finally
        {
            original?.Close();
        }
    }

    /// <summary>The int8 model and its manifest as written, and what was quantized.</summary>
    private sealed record Written(string Onnx, string Manifest, QuantizationSummary Summary);

    private static Written Write(
        EncoderManifest manifest,
        string outputFolder,
        PatchFeatureExtractor? original,
        IEnumerable<CalibrationPatch>? calibration
    )
    {
        Directory.CreateDirectory(outputFolder);
        string name = manifest.Name + "-int8";
        string onnx = Path.GetFullPath(Path.Combine(outputFolder, name + ".onnx"));
        var model = ProtoMessage.Parse(File.ReadAllBytes(manifest.File));
        long before = Int8Quantizer.ModelBytes(model, manifest.File);
        var convolutions = new QdqResult(0, 0);
        if (original is not null && calibration is not null)
            (model, convolutions) = Convolutions(model, before, original, calibration);
        var summary = Int8Quantizer.Quantize(model, manifest.File, onnx, convolutions, before);
        var copy = JsonSerializer.Deserialize<EncoderManifest>(manifest.ToJson(), EncoderManifest.Json)!;
        copy.Name = name;
        copy.File = Path.GetFileName(onnx);
        copy.Sha256 = FileHash.Sha256(onnx);
        // Products quantize their input with one scale per call: one patch a call keeps a patch's features its own.
        if (summary.Products > 0)
            copy.MaxBatchSize = 1;
        string manifestPath = Path.Combine(Path.GetDirectoryName(onnx)!, name + ".json");
        AtomicFile.Write(manifestPath, temp => File.WriteAllText(temp, copy.ToJson()));
        return new Written(onnx, manifestPath, summary);
    }

    /// <summary>The copy's agreement with the original: on the held-out calibration patches, else fixed ones. A copy
    /// that cannot run is removed.</summary>
    private static EncoderQuantizationReport Report(
        PatchFeatureExtractor original,
        Written written,
        List<CalibrationPatch>? patches
    )
    {
        try
        {
            var (minimum, mean) = Agreement(original, written.Manifest, patches);
            return new EncoderQuantizationReport(
                written.Manifest,
                written.Summary,
                patches?.Count ?? AgreementPatches,
                minimum,
                mean
            );
        }
        catch
        {
            // An encoder that cannot run is not left looking like one.
            File.Delete(written.Manifest);
            File.Delete(written.Onnx);
            throw;
        }
    }

    /// <summary>The model as ONNX Runtime's basic optimisations leave it, its convolutions in int8 QDQ form at the
    /// ranges the calibration patches give.</summary>
    private static (ProtoMessage Model, QdqResult Result) Convolutions(
        ProtoMessage source,
        long bytes,
        PatchFeatureExtractor original,
        IEnumerable<CalibrationPatch> patches
    )
    {
        string file = original.Manifest.File;
        var model = ActivationCalibration.Optimized(source, file, bytes);
        int at = model.Fields.FindIndex(f => f.Number == OnnxFields.ModelGraph);
        var quantizer = new ConvolutionQuantizer(model.Fields[at].Message);
        if (quantizer.Convolutions.Count == 0)
            return (model, new QdqResult(0, 0));
        ConvolutionQuantizer.UseOpset13(model, file);
        var ranges = ActivationCalibration.Ranges(model, quantizer.Activations(), original, patches);
        // The image itself can take any pixel, seen in calibration or not: its range is that of 0…255 normalised.
        if (ranges.ContainsKey(original.InputName))
            ranges[original.InputName] = PixelRange(original.Manifest);
        var (graph, result) = quantizer.Rewrite(ranges, Path.GetDirectoryName(Path.GetFullPath(file))!);
        model.Fields[at] = ProtoField.Of(OnnxFields.ModelGraph, graph);
        return (model, result);
    }

    /// <summary>The values a patch's pixels take once normalised, over every channel.</summary>
    private static ActivationRange PixelRange(EncoderManifest m)
    {
        var ends = Enumerable.Range(0, 3).SelectMany(c => new[] { -m.Mean[c] / m.Std[c], (1 - m.Mean[c]) / m.Std[c] });
        return new ActivationRange((float)ends.Min(), (float)ends.Max());
    }

    /// <summary>Cosine similarity of each patch's features from the two encoders, lowest and mean: on the held-out
    /// calibration patches, else on fixed ones.</summary>
    private static (double Minimum, double Mean) Agreement(
        PatchFeatureExtractor reference,
        string quantized,
        List<CalibrationPatch>? patches
    )
    {
        var int8 = PatchFeatureExtractor.CreateWithThreads(quantized, 1);
        try
        {
            int size = reference.InputSize;
            var pairs = patches is null
                ? [(EncoderCheck.FixedPatches(AgreementPatches, size), EncoderCheck.Layout(AgreementPatches, size))]
                : patches.Select(p => (p.Planes, EncoderCheck.Layout(1, p.Size))).ToList();
            var cosines = new List<double>();
            int d = reference.FeatureSize;
            foreach (var (planes, layout) in pairs)
            {
                var a = reference.Extract(planes, layout, 1f, 8);
                var b = int8.Extract(planes, layout, 1f, 8);
                FeatureCheck.ThrowUnlessFinite(quantized, "int8 encoder features", b);
                for (int k = 0; k < layout.Count; k++)
                    cosines.Add(Cosine(a.AsSpan(k * d, d), b.AsSpan(k * d, d)));
            }
            return (cosines.Min(), cosines.Average());
        }
        finally
        {
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
