using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Transforms.Bagging;
using static TorchSharp.torch;

namespace Amil.MLNet.Trainers.Scoring;

/// <summary>Runs a network on one bag without gradients.</summary>
internal static class BagScorer
{
    public static (float[] Probabilities, float[] Attention) Score(AttentionMilNetwork network, float[] pixels, BagLayout layout)
    {
        if (pixels.Length != layout.Count * layout.PatchLength)
            throw new InvalidOperationException($"A bag of {layout.Count} patches of {layout.PatchLength} values needs {layout.Count * layout.PatchLength} values, got {pixels.Length}.");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var bag = tensor(pixels, [layout.Count, layout.Channels, layout.PatchSize, layout.PatchSize]);
        // A module's forward is not documented as thread-safe; ML.NET may score rows on several threads.
        lock (network)
        {
            var (logits, attention) = network.forward(bag);
            return (softmax(logits, 1).squeeze(0).data<float>().ToArray(), attention.data<float>().ToArray());
        }
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
