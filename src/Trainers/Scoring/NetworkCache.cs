using System.Collections.Concurrent;
using Amil.MLNet.Trainers.Networks;

namespace Amil.MLNet.Trainers.Scoring;

/// <summary>Rebuilt networks, keyed by their state id, so scoring builds each network once per process, not per
/// row.</summary>
internal static class NetworkCache
{
    private static readonly ConcurrentDictionary<(ulong Id, int Length, string Device), Lazy<BagNetwork>> Networks =
        new();

    /// <summary>Where loaded models score, for the whole process (<see cref="AmilModel.UseDevice"/>). Default:
    /// the CPU.</summary>
    public static ComputeDevice Device { get; set; } = ComputeDevice.Cpu;

    public static BagNetwork Get(float[] state)
    {
        var (spec, id, weights) = NetworkState.Decode(state);
        var device = Device.Resolve();
        return Networks
            .GetOrAdd(
                (id, weights.Length, device.ToString()),
                _ => new Lazy<BagNetwork>(() =>
                {
                    if (NetworkState.Hash(weights.Span) != id)
                        throw new InvalidDataException(
                            "The model's network weights do not match their checksum: the model file is damaged; "
                                + "restore it from a copy or train the model again."
                        );
                    var network = BagNetwork.Create(spec);
                    network.ImportWeights(weights.Span);
                    network.eval();
                    return network.MoveTo(device);
                })
            )
            .Value;
    }
}
