using System.Collections.Concurrent;
using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Encoders;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Amil.MLNet.Transforms.Features;

/// <summary>
/// A frozen patch encoder on ONNX Runtime: each patch → D features. Built in: ImageNet ResNet18 (the ONNX model shipped
/// by Microsoft.ML.DnnImageFeaturizer.ResNet18; 224 px → 512, its ResNetPreprocess.onnx measured once as the
/// per-channel affine map it is). Any other: an ONNX file described by an <see cref="EncoderManifest"/> (see
/// <see cref="PatchEncoders"/>), whose hash must match. Patches of another size are resized bilinearly (then
/// centre-cropped when the manifest says so); normalisation is applied while patches are copied into the batch.
/// </summary>
public sealed class PatchFeatureExtractor
{
    /// <summary>The built-in encoder's name in settings and cache keys.</summary>
    public const string ResNet18 = PatchEncoders.ResNet18;

    private const string ModelFolder = "DnnImageModels";

    private static readonly ConcurrentDictionary<string, Lazy<PatchFeatureExtractor>> Instances = new();

    private readonly InferenceSession _session;
    private readonly string _input,
        _output;
    private readonly float[] _scale = new float[3],
        _offset = new float[3];

    /// <summary>The encoder's description (for the built-in ResNet18, one made in code).</summary>
    public EncoderManifest Manifest { get; }

    /// <summary>The patch side the network takes, in pixels.</summary>
    public int InputSize => Manifest.InputSize;

    /// <summary>Features per patch.</summary>
    public int FeatureSize => Manifest.FeatureSize;

    /// <summary>What identifies the features this encoder makes, for cache keys: "resnet18" for the built-in, else
    /// the name, the file's hash and every preprocessing setting.</summary>
    public string Identity { get; }

    /// <summary>The graph input fed and its declared shape ("?" where symbolic), e.g. "input [?, 3, 224,
    /// 224]".</summary>
    internal string InputDescription => Describe(_input, _session.InputMetadata[_input].Dimensions);

    /// <summary>The graph output read and its declared shape.</summary>
    internal string OutputDescription => Describe(_output, _session.OutputMetadata[_output].Dimensions);

    private static string Describe(string name, int[] dims) =>
        $"{name} [{string.Join(", ", dims.Select(d => d > 0 ? d.ToString() : "?"))}]";

    private PatchFeatureExtractor(EncoderManifest manifest, float[] scale, float[] offset, Session session)
    {
        Manifest = manifest;
        scale.CopyTo(_scale, 0);
        offset.CopyTo(_offset, 0);
        // ONNX Runtime copies the options into the session, so they are freed here.
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = session.Optimised
                ? GraphOptimizationLevel.ORT_ENABLE_ALL
                : GraphOptimizationLevel.ORT_DISABLE_ALL,
            IntraOpNumThreads = session.Threads,
        };
        if (session.Cuda is { } gpu)
            EncoderExecution.UseCuda(options, gpu, manifest.Name);
        try
        {
            _session = EncoderSession.Open(manifest, options, out _input, out _output);
        }
        // The file's hash matched, so a session that cannot open on a GPU is the GPU's doing.
        catch (InvalidDataException e) when (session.Cuda is { } g && e.InnerException is OnnxRuntimeException cause)
        {
            throw EncoderExecution.Unavailable(manifest.Name, g, cause);
        }
        Identity = manifest.Name == ResNet18 ? ResNet18 : EncoderSession.Identity(manifest);
    }

    /// <summary>The shared extractor of an encoder (one ONNX Runtime session per encoder, device and process, on
    /// every core or the threads <see cref="EncoderTuning"/> chose for this machine; Run is thread-safe), on the
    /// calling flow's device (<see cref="EncoderExecution"/>).</summary>
    /// <param name="encoder">"resnet18", a manifest's path, an ONNX file's path (manifest beside it) or a registered
    /// name (<see cref="PatchEncoders"/>).</param>
    /// <exception cref="ArgumentException">The encoder cannot be found.</exception>
    /// <exception cref="InvalidDataException">Its manifest or file is not valid, or they disagree.</exception>
    /// <exception cref="EncoderDeviceUnavailableException">A GPU is asked for and ONNX Runtime cannot use it.
    /// </exception>
    public static PatchFeatureExtractor Get(string encoder = ResNet18)
    {
        // Keyed by what the features depend on (for a manifest: its settings and its file's hash, checked), so an
        // encoder file or manifest replaced while the process runs is opened afresh, never served stale.
        string key = PatchEncoders.IsBuiltIn(encoder) ? ResNet18 : PatchEncoders.Identity(encoder);
        if (EncoderExecution.CudaDevice is { } gpu)
            key += $" on cuda:{gpu}";
        var lazy = Instances.GetOrAdd(
            key,
            _ => new Lazy<PatchFeatureExtractor>(() => Create(encoder, Session.Shared(encoder)))
        );
        try
        {
            return lazy.Value;
        }
        catch
        {
            // A failed open is not kept: the next call tries again (a GPU freed, a library put on the path).
            Instances.TryRemove(new KeyValuePair<string, Lazy<PatchFeatureExtractor>>(key, lazy));
            throw;
        }
    }

    /// <summary>A second extractor for checking the shared one: ONNX Runtime's graph unoptimised (no fused or
    /// re-laid-out kernels) on one thread.</summary>
    internal static PatchFeatureExtractor CreateReference(string encoder = ResNet18) =>
        Create(encoder, new Session(false, 1, null));

    /// <summary>An extractor of its own on <paramref name="threads"/> threads (benchmarks); <see cref="Close"/> it
    /// after use.</summary>
    internal static PatchFeatureExtractor CreateWithThreads(string encoder, int threads) =>
        Create(encoder, new Session(true, threads, EncoderExecution.CudaDevice));

    /// <summary>How the ONNX Runtime session runs: graph optimisations on or off, its CPU threads, and the CUDA GPU
    /// it runs on (null: the CPU).</summary>
    private readonly record struct Session(bool Optimised, int Threads, int? Cuda)
    {
        /// <summary>The encoder's tuned threads on this machine (<see cref="EncoderTuning"/>), else every
        /// core.</summary>
        public static Session Shared(string encoder) =>
            new(true, EncoderTuning.Find(encoder)?.Threads ?? Environment.ProcessorCount, EncoderExecution.CudaDevice);
    }

    private static PatchFeatureExtractor Create(string encoder, Session session)
    {
        if (PatchEncoders.IsBuiltIn(encoder))
            return BuiltInResNet18(session);
        var manifest = PatchEncoders.Manifest(encoder);
        float[] scale = new float[3],
            offset = new float[3];
        for (int c = 0; c < 3; c++)
        {
            // (x / 255 − mean) / std on 0…255 pixels.
            scale[c] = (float)(1 / (255 * manifest.Std[c]));
            offset[c] = (float)(-manifest.Mean[c] / manifest.Std[c]);
        }
        return new PatchFeatureExtractor(manifest, scale, offset, session);
    }

    private static PatchFeatureExtractor BuiltInResNet18(Session session)
    {
        var folder = FindModelFolder();
        var network = Path.Combine(folder, "ResNet18Onnx", "ResNet18.onnx");
        var preprocess = Path.Combine(folder, "ResNetPrepOnnx", "ResNetPreprocess.onnx");
        foreach (var file in new[] { network, preprocess })
            if (!File.Exists(file))
                throw new FileNotFoundException(
                    $"{file}: the ResNet18 ONNX model is missing; reference the NuGet package "
                        + "Microsoft.ML.DnnImageFeaturizer.ResNet18 "
                        + "(it copies DnnImageModels/ into the output folder) or copy that folder beside the "
                        + "application.",
                    file
                );
        var (scale, offset) = ResNetPreprocess.Measure(preprocess, 224);
        var manifest = new EncoderManifest
        {
            Name = ResNet18,
            File = network,
            Sha256 = FileHash.Sha256(network),
            InputSize = 224,
            Mean = [.. Enumerable.Range(0, 3).Select(c => -offset[c] / (255.0 * scale[c]))],
            Std = [.. Enumerable.Range(0, 3).Select(c => 1 / (255.0 * scale[c]))],
            Pooling = "none",
            FeatureSize = 512,
            Licence = "ImageNet ResNet18 from Microsoft.ML.DnnImageFeaturizer.ResNet18 (MIT)",
        };
        return new PatchFeatureExtractor(manifest, scale, offset, session);
    }

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

    /// <summary>Frees the ONNX Runtime session of an extractor made by <see cref="CreateWithThreads"/> (never a shared
    /// one).</summary>
    internal void Close() => _session.Dispose();

    /// <summary>Features of every patch of a bag: N × <see cref="FeatureSize"/>, patch-major.</summary>
    /// <param name="bag">Bag pixels as written by BagPatches (C×P×P per patch).</param>
    /// <param name="toByteScale">Multiplies bag values back to 0…255 (255 for the default PixelScale 1/255).</param>
    /// <param name="batchSize">Patches per ONNX Runtime call (1 = one call per patch), at most the manifest's
    /// <see cref="EncoderManifest.MaxBatchSize"/>.</param>
    public float[] Extract(ReadOnlySpan<float> bag, BagLayout layout, float toByteScale = 255f, int batchSize = 16)
    {
        if (layout.Channels != 3)
            throw new ArgumentException(
                $"Encoder '{Manifest.Name}' needs RGB patches (3 channels), got {layout.Channels}."
            );
        if (bag.Length != layout.Count * layout.PatchLength)
            throw new ArgumentException(
                $"The bag has {bag.Length} values; its layout needs {layout.Count * layout.PatchLength}."
            );
        var features = new float[layout.Count * FeatureSize];
        batchSize = Math.Min(batchSize, Manifest.MaxBatchSize ?? int.MaxValue);
        for (int first = 0; first < layout.Count; first += batchSize)
        {
            int n = Math.Min(batchSize, layout.Count - first);
            var input = Input(bag, layout, toByteScale, first, n);
            using var results = _session.Run([NamedOnnxValue.CreateFromTensor(_input, input)]);
            var output = results.First(r => r.Name == _output).AsTensor<float>();
            var values = output is DenseTensor<float> dense ? dense.Buffer.Span : output.ToArray();
            TokenPooling.Pool(
                values,
                output.Dimensions,
                Manifest,
                n,
                features.AsSpan(first * FeatureSize, n * FeatureSize)
            );
        }
        return features;
    }

    /// <summary>The graph input patches are fed to.</summary>
    internal string InputName => _input;

    /// <summary>Patches <paramref name="first"/> … first + n − 1 of a bag as the network's input: resized,
    /// normalised, in the manifest's layout.</summary>
    internal DenseTensor<float> Input(ReadOnlySpan<float> bag, BagLayout layout, float toByteScale, int first, int n)
    {
        var input = new float[n * 3 * InputSize * InputSize];
        for (int k = 0; k < n; k++)
            Prepare(
                bag.Slice((first + k) * layout.PatchLength, layout.PatchLength),
                layout.PatchSize,
                toByteScale,
                input.AsSpan(k * 3 * InputSize * InputSize, 3 * InputSize * InputSize)
            );
        int[] shape = Manifest.Layout == "nhwc" ? [n, InputSize, InputSize, 3] : [n, 3, InputSize, InputSize];
        return new DenseTensor<float>(input, shape);
    }

    /// <summary>One C×P×P patch → the network's input: resized (and centre-cropped), normalised, in the manifest's
    /// layout.</summary>
    private void Prepare(ReadOnlySpan<float> patch, int patchSize, float toByteScale, Span<float> target)
    {
        int size = InputSize,
            plane = size * size,
            resized = Manifest.ResizeTo ?? size,
            margin = (resized - size) / 2;
        bool nchw = Manifest.Layout == "nchw";
        Span<float> planes = nchw ? target : new float[3 * plane];
        var scratch = resized == size ? null : new float[resized * resized];
        for (int c = 0; c < 3; c++)
        {
            var source = patch.Slice(c * patchSize * patchSize, patchSize * patchSize);
            var channel = planes.Slice(c * plane, plane);
            if (scratch is null)
                PatchResampler.Bilinear(source, patchSize, channel, size);
            else
            {
                PatchResampler.Bilinear(source, patchSize, scratch, resized);
                for (int y = 0; y < size; y++)
                    scratch.AsSpan((y + margin) * resized + margin, size).CopyTo(channel.Slice(y * size, size));
            }
            float scale = toByteScale * _scale[c],
                offset = _offset[c];
            for (int i = 0; i < plane; i++)
                channel[i] = channel[i] * scale + offset;
        }
        if (!nchw)
            for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++)
                target[3 * i + c] = planes[c * plane + i];
    }
}
