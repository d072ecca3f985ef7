using Amil.MLNet.Trainers.Networks;

namespace Amil.MLNet.Trainers.Scoring;

/// <summary>
/// Rebuilt networks, keyed by their spec, state id and device (the same weights at another temperature are another
/// model), so scoring builds each network once, not per row. Bounded:
/// at most <see cref="Capacity"/> networks stay built; the least recently used one is released (its native memory
/// freed) once no scoring call still holds it, so an app that loads model after model does not grow without end.
/// </summary>
internal static class NetworkCache
{
    private static readonly object Gate = new();
    private static readonly LinkedList<Entry> Recent = new(); // most recent first
    private static readonly Dictionary<
        (NetworkSpec Spec, ulong Id, int Length, string Device),
        LinkedListNode<Entry>
    > Index = [];
    private static int capacity = 8;

    /// <summary>A device and its key in the cache.</summary>
    private sealed record Target(TorchSharp.torch.Device Device, string Key);

    private static readonly Target Cpu = new(TorchSharp.torch.CPU, "cpu");

    /// <summary>The device of the scoring call in progress on this flow of execution (see <see cref="On"/>); the
    /// CPU outside one.</summary>
    private static readonly AsyncLocal<Target?> Scoped = new();

    /// <summary>The device the calling scoring step builds and runs networks on, until the result is disposed: a
    /// model's own device (<see cref="AmilModel.Device"/>), set around each row it scores, never process-wide.
    /// Resolved here, so a missing GPU fails before any network is built.</summary>
    public static IDisposable On(ComputeDevice device)
    {
        var resolved = device.Resolve();
        var previous = Scoped.Value;
        Scoped.Value = device == ComputeDevice.Cpu ? Cpu : new Target(resolved, resolved.ToString());
        return new Restore(() => Scoped.Value = previous);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    /// <summary>Networks kept built at once. Default 8 (a few MB each on features, ~100 MB for the CNN
    /// baseline).</summary>
    public static int Capacity
    {
        get => capacity;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            lock (Gate)
            {
                capacity = value;
                Trim();
            }
        }
    }

    /// <summary>Networks built now (for tests and diagnostics).</summary>
    public static int Count
    {
        get
        {
            lock (Gate)
                return Index.Count;
        }
    }

    /// <summary>Runs <paramref name="work"/> on the network of <paramref name="state"/>, built once; the network is
    /// not released while the work runs.</summary>
    public static T Use<T>(float[] state, Func<BagNetwork, T> work)
    {
        var entry = Acquire(state);
        try
        {
            return work(entry.Network.Value);
        }
        finally
        {
            Release(entry);
        }
    }

    private static Entry Acquire(float[] state)
    {
        var (spec, id, weights) = NetworkState.Decode(state);
        var (device, key) = Scoped.Value ?? Cpu;
        lock (Gate)
        {
            if (!Index.TryGetValue((spec, id, weights.Length, key), out var node))
            {
                var entry = new Entry(
                    new Lazy<BagNetwork>(() =>
                    {
                        if (NetworkState.Hash(weights.Span) != id)
                            throw new InvalidDataException(
                                "The model's network weights do not match their checksum: the model file is damaged; "
                                    + "restore it from a copy or train the model again."
                            );
                        var network = TorchSeeding.ForImport(() => BagNetwork.Create(spec));
                        network.ImportWeights(weights.Span);
                        network.eval();
                        return network.MoveTo(device);
                    })
                );
                node = Recent.AddFirst(entry);
                Index[(spec, id, weights.Length, key)] = node;
                entry.Key = (spec, id, weights.Length, key);
                Trim();
            }
            else
            {
                Recent.Remove(node);
                Recent.AddFirst(node);
            }
            node.Value.Users++;
            return node.Value;
        }
    }

    private static void Release(Entry entry)
    {
        lock (Gate)
        {
            entry.Users--;
            if (entry.Evicted && entry.Users == 0)
                entry.Dispose();
        }
    }

    /// <summary>Drops the least recently used entries beyond the capacity; one still in use is disposed when its
    /// last user lets go.</summary>
    private static void Trim()
    {
        while (Index.Count > capacity && Recent.Last is { } oldest)
        {
            Recent.RemoveLast();
            Index.Remove(oldest.Value.Key);
            oldest.Value.Evicted = true;
            if (oldest.Value.Users == 0)
                oldest.Value.Dispose();
        }
    }

    private sealed class Entry(Lazy<BagNetwork> network)
    {
        public Lazy<BagNetwork> Network { get; } = network;
        public (NetworkSpec, ulong, int, string) Key { get; set; }
        public int Users { get; set; }
        public bool Evicted { get; set; }

        public void Dispose()
        {
            if (Network.IsValueCreated)
                Network.Value.Dispose();
        }
    }
}
