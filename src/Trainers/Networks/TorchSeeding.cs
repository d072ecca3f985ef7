using TorchSharp;

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
}
