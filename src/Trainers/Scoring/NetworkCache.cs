using System.Collections.Concurrent;
using Amil.MLNet.Trainers.Networks;

namespace Amil.MLNet.Trainers.Scoring;

/// <summary>Rebuilt networks, keyed by their state id, so scoring builds each network once per process, not per
/// row.</summary>
internal static class NetworkCache
{
    private static readonly ConcurrentDictionary<(ulong Id, int Length, string Device), Lazy<BagNetwork>> Networks =
        new();

    /// <summary>The setting and the device it resolved to, swapped as one reference.</summary>
    private sealed record Target(ComputeDevice Setting, TorchSharp.torch.Device Device, string Key);

    private static Target current = new(ComputeDevice.Cpu, TorchSharp.torch.CPU, "cpu");

    /// <summary>Where loaded models score, for the whole process (<see cref="AmilModel.UseDevice"/>). Default:
    /// the CPU. Resolved once when set (a missing GPU fails here), not for every row scored.</summary>
    public static ComputeDevice Device
    {
        get => current.Setting;
        set
        {
            var device = value.Resolve();
            current = new Target(value, device, device.ToString());
        }
    }

    public static BagNetwork Get(float[] state)
    {
        var (spec, id, weights) = NetworkState.Decode(state);
        var (_, device, key) = current;
        return Networks
            .GetOrAdd(
                (id, weights.Length, key),
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
