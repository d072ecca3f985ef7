using TorchSharp;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>Scalars held for the whole process, for ops whose TorchSharp overloads would otherwise convert a number
/// to a fresh Scalar on every call (see <see cref="Training.AdamOptimizer"/>).</summary>
internal static class Scalars
{
    /// <summary>1: the alpha of <c>a.add(b, One)</c>, which is what <c>a + b</c> means.</summary>
    public static readonly Scalar One = 1.0.ToScalar();
}
