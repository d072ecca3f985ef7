using System.Collections.Concurrent;
using Amil.MLNet.Transforms.Bagging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Amil.MLNet.Transforms.Features;

/// <summary>
/// Frozen ImageNet ResNet18 (the ONNX model shipped by Microsoft.ML.DnnImageFeaturizer.ResNet18) on ONNX Runtime: each
/// 3×224×224 patch → 512 features (global-average-pooled last block). Patches of another size are resized bilinearly.
/// The package's ResNetPreprocess.onnx defines the normalisation; it is measured once per process (it is a per-channel
/// affine map of 0…255 pixels) and applied while patches are copied into the batch.
/// </summary>
public sealed class PatchFeatureExtractor
{
    /// <summary>The extractor's name in settings and cache keys.</summary>
    public const string ResNet18 = "resnet18";

    /// <summary>The patch side the network takes, in pixels.</summary>
    public const int InputSize = 224;

    /// <summary>Features per patch.</summary>
    public const int FeatureSize = 512;
    private const string ModelFolder = "DnnImageModels";

    private static readonly ConcurrentDictionary<string, Lazy<PatchFeatureExtractor>> Instances = new();

    private readonly InferenceSession _session;
    private readonly string _input,
        _output;
    private readonly float[] _scale = new float[3],
        _offset = new float[3];

    private PatchFeatureExtractor(string modelFolder, bool reference = false)
    {
        var network = Path.Combine(modelFolder, "ResNet18Onnx", "ResNet18.onnx");
        var preprocess = Path.Combine(modelFolder, "ResNetPrepOnnx", "ResNetPreprocess.onnx");
        foreach (var file in new[] { network, preprocess })
            if (!File.Exists(file))
                throw new FileNotFoundException(
                    $"{file}: the ResNet18 ONNX model is missing; reference the NuGet package "
                        + "Microsoft.ML.DnnImageFeaturizer.ResNet18 "
                        + "(it copies DnnImageModels/ into the output folder) or copy that folder beside the "
                        + "application.",
                    file
                );
        var options = new SessionOptions
        {
            GraphOptimizationLevel = reference
                ? GraphOptimizationLevel.ORT_DISABLE_ALL
                : GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = reference ? 1 : Environment.ProcessorCount,
        };
        _session = new InferenceSession(OnnxBatchDimension.MakeDynamic(File.ReadAllBytes(network)), options);
        _input = _session.InputMetadata.Keys.Single();
        _output = _session.OutputMetadata.Keys.Single();
        Calibrate(preprocess);
    }

    /// <summary>The shared extractor (one ONNX Runtime session per process, on every core; Run is
    /// thread-safe).</summary>
    public static PatchFeatureExtractor Get(string extractor = ResNet18)
    {
        if (extractor != ResNet18)
            throw new ArgumentException($"Unknown feature extractor '{extractor}'; the available one is {ResNet18}.");
        return Instances
            .GetOrAdd(
                extractor,
                _ => new Lazy<PatchFeatureExtractor>(() => new PatchFeatureExtractor(FindModelFolder()))
            )
            .Value;
    }

    /// <summary>A second extractor for checking the shared one: ONNX Runtime's graph unoptimised (no fused or
    /// re-laid-out kernels) on one thread.</summary>
    internal static PatchFeatureExtractor CreateReference() => new(FindModelFolder(), reference: true);

    private static string FindModelFolder()
    {
        foreach (
            var root in new[]
            {
                AppContext.BaseDirectory,
                Path.GetDirectoryName(typeof(PatchFeatureExtractor).Assembly.Location) ?? "",
            }
        )
        {
            var candidate = Path.Combine(root, ModelFolder);
            if (Directory.Exists(candidate))
                return candidate;
        }
        return Path.Combine(AppContext.BaseDirectory, ModelFolder);
    }

    /// <summary>Features of every patch of a bag: N × 512, patch-major.</summary>
    /// <param name="bag">Bag pixels as written by BagPatches (C×P×P per patch).</param>
    /// <param name="toByteScale">Multiplies bag values back to 0…255 (255 for the default PixelScale 1/255).</param>
    /// <param name="batchSize">Patches per ONNX Runtime call (1 = one call per patch).</param>
    public float[] Extract(ReadOnlySpan<float> bag, BagLayout layout, float toByteScale = 255f, int batchSize = 16)
    {
        if (layout.Channels != 3)
            throw new ArgumentException($"ResNet18 needs RGB patches (3 channels), got {layout.Channels}.");
        if (bag.Length != layout.Count * layout.PatchLength)
            throw new ArgumentException(
                $"The bag has {bag.Length} values; its layout needs {layout.Count * layout.PatchLength}."
            );
        var features = new float[layout.Count * FeatureSize];
        const int plane = InputSize * InputSize;
        for (int first = 0; first < layout.Count; first += batchSize)
        {
            int n = Math.Min(batchSize, layout.Count - first);
            var input = new float[n * 3 * plane];
            for (int k = 0; k < n; k++)
            for (int c = 0; c < 3; c++)
            {
                var source = bag.Slice(
                    (first + k) * layout.PatchLength + c * layout.PatchSize * layout.PatchSize,
                    layout.PatchSize * layout.PatchSize
                );
                var target = input.AsSpan((k * 3 + c) * plane, plane);
                PatchResampler.Bilinear(source, layout.PatchSize, target, InputSize);
                float scale = toByteScale * _scale[c],
                    offset = _offset[c];
                for (int i = 0; i < target.Length; i++)
                    target[i] = target[i] * scale + offset;
            }
            using var results = _session.Run([
                NamedOnnxValue.CreateFromTensor(_input, new DenseTensor<float>(input, [n, 3, InputSize, InputSize])),
            ]);
            var output = results.First(r => r.Name == _output).AsTensor<float>();
            if (output.Length != n * FeatureSize)
                throw new InvalidDataException(
                    $"ResNet18 returned {output.Length} values for {n} patches; expected {n * FeatureSize}."
                );
            int at = first * FeatureSize;
            foreach (var v in output)
                features[at++] = v;
        }
        return features;
    }

    /// <summary>Measures ResNetPreprocess.onnx as y = scale_c · x + offset_c on 0…255 input, and checks that it is that
    /// affine map.</summary>
    private void Calibrate(string preprocessPath)
    {
        using var session = new InferenceSession(preprocessPath);
        var name = session.InputMetadata.Keys.Single();
        float[] Probe(float value)
        {
            var data = new float[3 * InputSize * InputSize];
            Array.Fill(data, value);
            using var r = session.Run([
                NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(data, [1, 3, InputSize, InputSize])),
            ]);
            var o = r.First().AsTensor<float>().ToArray();
            return [o[0], o[InputSize * InputSize], o[2 * InputSize * InputSize]];
        }
        float[] zero = Probe(0),
            one = Probe(1),
            top = Probe(255);
        for (int c = 0; c < 3; c++)
        {
            _offset[c] = zero[c];
            _scale[c] = one[c] - zero[c];
            if (Math.Abs(_offset[c] + 255 * _scale[c] - top[c]) > 1e-2f)
                throw new InvalidDataException(
                    $"{preprocessPath} is not a per-channel affine normalisation; this version of the package is "
                        + "not supported."
                );
        }
    }
}
