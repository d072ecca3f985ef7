using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Amil.MLNet.Trainers.Training;

/// <summary>
/// Adam (Kingma and Ba 2015) with L2 weight decay: the arithmetic of torch.optim.Adam, in the same order, so results
/// are bit-identical to it. Ours because TorchSharp 0.107's Adam.step passes implicitly converted <see cref="Scalar"/>s
/// (<c>grad.add(param, alpha: weight_decay)</c>, <c>mul_(beta1)</c>, <c>addcdiv_(…, value: -step_size)</c>) whose
/// managed wrappers nothing keeps alive during the native call: a GC on another thread can finalize one mid-call and
/// libtorch reads freed memory ("Expected false to be true … toFloat", dotnet/TorchSharp#1434, #1496). Here every
/// Scalar is owned by this object or by a using block that outlives the call.
/// </summary>
internal sealed class AdamOptimizer : IDisposable
{
    private const string StateMagic = "AMIL-ADAM";
    private const int StateVersion = 1;

    private readonly Parameter[] parameters;
    private readonly Tensor[] firstMoments,
        secondMoments;
    private readonly long[] steps;
    private readonly double learningRate,
        beta1,
        beta2,
        weightDecay;

    // add_(Scalar) alone would pass an implicit alpha of 1, hence the explicit one.
    private readonly Scalar beta1Scalar,
        beta2Scalar,
        oneMinusBeta1,
        oneMinusBeta2,
        epsilon,
        decay,
        one;

    public AdamOptimizer(
        IEnumerable<Parameter> parameters,
        double learningRate,
        double beta1 = 0.9,
        double beta2 = 0.999,
        double weightDecay = 0,
        double epsilon = 1e-8
    )
    {
        this.parameters = parameters.ToArray();
        (this.learningRate, this.beta1, this.beta2, this.weightDecay) = (learningRate, beta1, beta2, weightDecay);
        beta1Scalar = beta1.ToScalar();
        beta2Scalar = beta2.ToScalar();
        oneMinusBeta1 = (1 - beta1).ToScalar();
        oneMinusBeta2 = (1 - beta2).ToScalar();
        this.epsilon = epsilon.ToScalar();
        decay = weightDecay.ToScalar();
        one = 1.0.ToScalar();
        firstMoments = this.parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        secondMoments = this.parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        steps = new long[this.parameters.Length];
    }

    public void ZeroGrad()
    {
        foreach (var parameter in parameters)
        {
            using var grad = parameter.grad;
            grad?.zero_();
        }
    }

    public void Step()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        for (int i = 0; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            var grad = parameter.grad;
            if (grad is null)
                continue;
            long step = ++steps[i];
            double biasCorrection1 = 1 - Math.Pow(beta1, step),
                biasCorrection2 = 1 - Math.Pow(beta2, step);
            if (weightDecay != 0)
                grad = grad.add(parameter, decay);

            firstMoments[i].mul_(beta1Scalar).add_(grad, oneMinusBeta1);
            secondMoments[i].mul_(beta2Scalar).addcmul_(grad, grad, oneMinusBeta2);
            using var correction2 = Math.Sqrt(biasCorrection2).ToScalar();
            var denominator = secondMoments[i].sqrt().div(correction2).add_(epsilon, one);
            using var stepSize = (-(learningRate / biasCorrection1)).ToScalar();
            parameter.addcdiv_(firstMoments[i], denominator, stepSize);
        }
        GC.KeepAlive(this);
    }

    /// <summary>Step counts and both moments, for a checkpoint.</summary>
    public byte[] SaveState()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(StateMagic);
            writer.Write(StateVersion);
            writer.Write(parameters.Length);
            for (int i = 0; i < parameters.Length; i++)
            {
                writer.Write(steps[i]);
                WriteTensor(writer, firstMoments[i]);
                WriteTensor(writer, secondMoments[i]);
            }
        }
        return stream.ToArray();
    }

    /// <exception cref="InvalidDataException">The state is damaged or belongs to another network.</exception>
    public void LoadState(byte[] state)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(state));
            if (
                reader.ReadString() != StateMagic
                || reader.ReadInt32() != StateVersion
                || reader.ReadInt32() != parameters.Length
            )
                throw new InvalidDataException("the optimizer state belongs to another network or version");
            for (int i = 0; i < parameters.Length; i++)
            {
                steps[i] = reader.ReadInt64();
                ReadTensor(reader, firstMoments[i]);
                ReadTensor(reader, secondMoments[i]);
            }
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("the optimizer state is truncated");
        }
    }

    private static void WriteTensor(BinaryWriter writer, Tensor tensor)
    {
        var values = tensor.cpu().data<float>().ToArray();
        writer.Write(values.Length);
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static void ReadTensor(BinaryReader reader, Tensor tensor)
    {
        int count = reader.ReadInt32();
        if (count != tensor.numel())
            throw new InvalidDataException("the optimizer state belongs to another network");
        var bytes = reader.ReadBytes(count * sizeof(float));
        if (bytes.Length != count * sizeof(float))
            throw new EndOfStreamException();
        var values = new float[count];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        using var loaded = torch.tensor(values, tensor.shape);
        using var noGrad = no_grad();
        tensor.copy_(loaded);
    }

    public void Dispose()
    {
        foreach (var t in firstMoments.Concat(secondMoments))
            t.Dispose();
        foreach (var s in new[] { beta1Scalar, beta2Scalar, oneMinusBeta1, oneMinusBeta2, epsilon, decay, one })
            s.Dispose();
    }
}
