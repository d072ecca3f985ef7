using System.Globalization;
using Amil.MLNet.Transforms.Features;
using Amil.MLNet.Transforms.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Amil.MLNet.Transforms.Encoders;

/// <summary>Opens an encoder's ONNX file as its manifest describes it, refusing a file that is not the one described:
/// another hash, another input size or layout, or a missing input or output. A graph declared for batch 1 is opened
/// with its batch dimension made symbolic.</summary>
internal static class EncoderSession
{
    public static InferenceSession Open(EncoderManifest m, SessionOptions options, out string input, out string output)
    {
        CheckFile(m);
        var session = Load(m, () => new InferenceSession(m.File, options));
        input = Pick(m, "input", m.Input, session.InputMetadata.Keys);
        output = Pick(m, "output", m.Output, session.OutputMetadata.Keys);
        int[] dims = session.InputMetadata[input].Dimensions;
        CheckInput(m, input, dims);
        if (dims[0] > 0)
        {
            session.Dispose();
            session = Load(
                m,
                () => new InferenceSession(OnnxBatchDimension.MakeDynamic(File.ReadAllBytes(m.File)), options)
            );
        }
        return session;
    }

    /// <summary>Throws unless the manifest's ONNX file exists and has the manifest's hash.</summary>
    public static void CheckFile(EncoderManifest m)
    {
        if (!File.Exists(m.File))
            throw new FileNotFoundException(
                $"Encoder '{m.Name}': its ONNX file {m.File} is missing; put the file there or correct \"file\" in "
                    + "its manifest.",
                m.File
            );
        string actual = FileHash.Sha256(m.File);
        if (!actual.Equals(m.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException(
                $"Encoder '{m.Name}': {m.File} has SHA-256 {actual}, but its manifest says "
                    + $"{m.Sha256.ToLowerInvariant()}. The file is not the one the manifest describes: restore that "
                    + "file, or, if this file is the right one, put its hash in the manifest (features cached for the "
                    + "other file are not reused)."
            );
    }

    /// <summary>What identifies an encoder's features: its name, file hash and every setting that changes
    /// them.</summary>
    public static string Identity(EncoderManifest m) =>
        string.Join(
            ' ',
            m.Name,
            m.Sha256.ToLowerInvariant(),
            $"in {m.InputSize}",
            $"resize {m.ResizeTo ?? m.InputSize}",
            "mean " + string.Join(',', m.Mean.Select(v => v.ToString("R", CultureInfo.InvariantCulture))),
            "std " + string.Join(',', m.Std.Select(v => v.ToString("R", CultureInfo.InvariantCulture))),
            m.Layout,
            $"io {m.Input}>{m.Output}",
            $"{m.Pooling} {m.PrefixTokens} {m.FeatureSize}"
        ) + (m.MaxBatchSize is { } most ? $" batch≤{most}" : "");

    private static InferenceSession Load(EncoderManifest m, Func<InferenceSession> open)
    {
        try
        {
            return open();
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException(
                $"Encoder '{m.Name}': ONNX Runtime cannot open {m.File} ({e.Message.Trim()}); is it a complete ONNX "
                    + "file, with its external data files beside it?",
                e
            );
        }
    }

    private static string Pick(EncoderManifest m, string what, string? named, IEnumerable<string> names)
    {
        var list = names.ToList();
        if (named is not null)
            return list.Contains(named)
                ? named
                : throw new InvalidDataException(
                    $"Encoder '{m.Name}': the manifest's {what} \"{named}\" is not in {m.File}, whose {what}s are "
                        + $"{string.Join(", ", list)}; correct \"{what}\"."
                );
        if (what == "input" && list.Count != 1)
            throw new InvalidDataException(
                $"Encoder '{m.Name}': {m.File} has {list.Count} inputs ({string.Join(", ", list)}); name the image "
                    + "input in the manifest's \"input\"."
            );
        return list[0];
    }

    private static void CheckInput(EncoderManifest m, string input, int[] dims)
    {
        int channelAxis = m.Layout == "nchw" ? 1 : 3;
        bool fits =
            dims.Length == 4
            && dims[0] is <= 1
            && dims[channelAxis] is 3 or <= 0
            && Enumerable.Range(1, 3).Where(a => a != channelAxis).All(a => dims[a] == m.InputSize || dims[a] <= 0);
        if (!fits)
            throw new InvalidDataException(
                $"Encoder '{m.Name}': the input \"{input}\" of {m.File} is [{Shape(dims)}], but the manifest says "
                    + $"{m.Layout} patches of {m.InputSize} px (batch first, 3 channels); correct \"input_size\" or "
                    + "\"layout\", or export the model with that input."
            );
    }

    private static string Shape(int[] dims) => string.Join(", ", dims.Select(d => d > 0 ? d.ToString() : "?"));
}
