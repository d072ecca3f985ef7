using TorchSharp;
using static TorchSharp.torch;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>
/// libtorch has one global random generator. Seeding it and drawing initial weights happen under one
/// process-wide lock, so two trainings (or a training and a test) on parallel threads cannot interleave
/// their draws and break "same seed, same model".
/// </summary>
internal static class TorchSeeding
{
    private static readonly Lock Gate = new();

    public static T Seeded<T>(int seed, Func<T> create)
    {
        lock (Gate)
        {
            torch.manual_seed(seed);
            return create();
        }
    }

    /// <summary>
    /// Creates a network whose initial weights are replaced right after (a loaded model). Its constructors still
    /// draw from the global generator, so they take the lock: unlocked, a model loaded while a training starts
    /// would shift that training's initial weights.
    /// </summary>
    public static T ForImport<T>(Func<T> create)
    {
        lock (Gate)
            return create();
    }

    /// <summary>
    /// Creates a network from <paramref name="seed"/> and gives its dropout a generator of its own that starts where
    /// the global one stands after the initial weights: a training alone in its process draws exactly what dropout on
    /// the global generator would draw, and trainings side by side do not share one stream.
    /// </summary>
    public static (BagNetwork Network, Generator Dropout) SeededForTraining(int seed, Func<BagNetwork> create)
    {
        lock (Gate)
        {
            torch.manual_seed(seed);
            var network = create();
            var generator = new Generator();
            using (var state = torch.random.get_rng_state())
                generator.set_state(state);
            foreach (var dropout in network.modules().OfType<SeededDropout>())
                dropout.Generator = generator;
            return (network, generator);
        }
    }
}
