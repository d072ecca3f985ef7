using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Amil.MLNet.Transforms.Encoders;

/// <summary>The packaged ResNetPreprocess.onnx, measured as y = scale_c · x + offset_c on 0…255 input (and checked to
/// be that affine map), so it is applied while patches are copied instead of as a second network.</summary>
internal static class ResNetPreprocess
{
    public static (float[] Scale, float[] Offset) Measure(string path, int size)
    {
        using var session = new InferenceSession(path);
        var name = session.InputMetadata.Keys.Single();
        float[] Probe(float value)
        {
            var data = new float[3 * size * size];
            Array.Fill(data, value);
            using var r = session.Run([
                NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(data, [1, 3, size, size])),
            ]);
            var o = r.First().AsTensor<float>().ToArray();
            return [o[0], o[size * size], o[2 * size * size]];
        }
        float[] zero = Probe(0),
            one = Probe(1),
            top = Probe(255);
        float[] scale = new float[3],
            offset = new float[3];
        for (int c = 0; c < 3; c++)
        {
            offset[c] = zero[c];
            scale[c] = one[c] - zero[c];
            if (Math.Abs(offset[c] + 255 * scale[c] - top[c]) > 1e-2f)
                throw new InvalidDataException(
                    $"{path} is not a per-channel affine normalisation; this version of the package is not supported."
                );
        }
        return (scale, offset);
    }
}
