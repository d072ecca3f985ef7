using TorchSharp;
using static TorchSharp.torch;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>
/// Dropout that draws its masks from the training's own generator instead of libtorch's global one, so two trainings
/// in one process (parallel tests, a lab's runs side by side) keep "same seed, same model". The ops are libtorch's own
/// CPU dropout (Bernoulli noise ÷ (1 − p), multiplied), so for the same generator state the result is bit for bit
/// <c>nn.Dropout</c>'s. Without a generator on the tensor's device it is plain dropout on the global generator.
/// </summary>
internal sealed class SeededDropout : nn.Module<Tensor, Tensor>
{
    private readonly double _probability;

    // Owned for the module's life: an implicitly converted Scalar can be finalized while libtorch still reads it
    // (seen as "Unknown scalar type" in the middle of a training).
    private readonly Scalar _kept;

    public SeededDropout(double probability)
        : base(nameof(SeededDropout))
    {
        if (probability is < 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(probability), "Dropout must be in [0, 1).");
        _probability = probability;
        _kept = (1 - probability).ToScalar();
    }

    /// <summary>Where the masks come from while training; null: libtorch's global generator.</summary>
    public Generator? Generator { get; set; }

    public override Tensor forward(Tensor input)
    {
        if (!training || _probability == 0)
            return input.alias();
        if (Generator is null || Generator.device.type != input.device_type)
            return nn.functional.dropout(input, _probability, training: true);
        using var noise = empty_like(input).bernoulli_(1 - _probability, Generator);
        noise.div_(_kept);
        return input.mul(noise);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _kept.Dispose();
        base.Dispose(disposing);
    }
}
