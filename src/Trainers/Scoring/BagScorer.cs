using Amil.MLNet.Trainers.Networks;
using Amil.MLNet.Transforms.Bagging;
using static TorchSharp.torch;

namespace Amil.MLNet.Trainers.Scoring;

/// <summary>Runs a trained network on one bag.</summary>
internal static class BagScorer
{
    /// <summary>Probabilities (at the model's temperature) and the network's localization map (attention,
    /// contribution, class attention, or Grad-CAM for the CNN baseline).</summary>
    public static (float[] Probabilities, float[] Map) Score(BagNetwork network, float[] pixels, BagLayout layout)
    {
        var (probabilities, map, _) = ScoreAll(network, pixels, layout);
        return (probabilities, map);
    }

    /// <summary><see cref="Score"/> plus every class's map for class-aware networks (null otherwise), in one
    /// pass.</summary>
    public static (float[] Probabilities, float[] Map, float[]? ClassMaps) ScoreAll(
        BagNetwork network,
        float[] pixels,
        BagLayout layout
    )
    {
        if (layout.Count == 0 || pixels.Length % layout.Count != 0)
            throw new InvalidOperationException($"A bag of {layout.Count} patches cannot hold {pixels.Length} values.");
        using var scope = NewDisposeScope();
        var bag = tensor(pixels, network.InputShape(layout, pixels.Length), device: network.Device);
        (float[] Probabilities, float[] Map, float[]? ClassMaps) scored;
        // A module's forward is not documented as thread-safe; ML.NET may score rows on several threads.
        lock (network)
            scored = network.ExplainAll(bag, layout);
        float temperature = network.Spec.Temperature;
        return temperature == 1
            ? scored
            : scored with
            {
                Probabilities = Training.TemperatureScaling.Apply(scored.Probabilities, temperature),
            };
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best])
                best = i;
        return best;
    }
}
