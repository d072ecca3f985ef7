using System.Collections.Concurrent;
using Amil.MLNet.Trainers.Networks;

namespace Amil.MLNet.Trainers.Scoring;

/// <summary>Rebuilt networks, keyed by their state id, so scoring builds each network once per process, not per row.</summary>
internal static class NetworkCache
{
    private static readonly ConcurrentDictionary<(ulong Id, int Length), Lazy<BagNetwork>> Networks = new();

    public static BagNetwork Get(float[] state)
    {
        var (spec, id, weights) = NetworkState.Decode(state);
        return Networks.GetOrAdd((id, weights.Length), _ => new Lazy<BagNetwork>(() =>
        {
            var network = BagNetwork.Create(spec);
            network.ImportWeights(weights.Span);
            network.eval();
            return network;
        })).Value;
    }
}
