using System.Text.Json.Serialization;
using Amil.MLNet.Application.Runs;
using Amil.MLNet.Transforms.Bagging;

namespace Amil.MLNet.Application.Jobs;

/// <summary>
/// Scoring split between shards for the steps whose result needs every item's score (evaluate's metrics, heatmap's
/// shared colour scale, localize's comparison): with <see cref="ScoringOptions.Shard"/> K of N, a process scores the
/// items whose index in order is K−1 modulo N and stores their scores (prediction, probabilities, maps) in
/// OUT/shards/scores.NAME.K-of-N.json with the model's SHA-256; the process that finds every shard's file stored gets
/// every item's scores, in order and as exact as unsharded scoring, and finishes the step. A shard whose file is
/// already stored for the same items and model is not scored again.
/// </summary>
internal static class ShardedScores
{
    /// <summary>One shard's file.</summary>
    public sealed record Part(
        [property: JsonPropertyName("shard")] int Shard,
        [property: JsonPropertyName("shards")] int Shards,
        [property: JsonPropertyName("model")] string Model,
        [property: JsonPropertyName("inputs")] IReadOnlyList<string> Inputs,
        [property: JsonPropertyName("scores")] IReadOnlyList<Stored> Scores
    );

    /// <summary>A <see cref="ScoredImage"/> as the file holds it (floats written to round-trip exactly).</summary>
    public sealed record Stored(
        [property: JsonPropertyName("path")] string Path,
        [property: JsonPropertyName("predicted")] int Predicted,
        [property: JsonPropertyName("probabilities")] float[] Probabilities,
        [property: JsonPropertyName("map")] float[] Map,
        [property: JsonPropertyName("coordinates")] int[] Coordinates,
        [property: JsonPropertyName("layout")] int[] Layout,
        [property: JsonPropertyName("map_kind")] MapKind MapKind,
        [property: JsonPropertyName("frame")] int[]? Frame,
        [property: JsonPropertyName("class_maps")] float[]? ClassMaps
    )
    {
        public static Stored From(ScoredImage s) =>
            new(
                s.Path,
                s.PredictedIndex,
                s.Probabilities,
                s.Map,
                s.Coordinates,
                s.Layout.Encode(),
                s.MapKind,
                s.Frame?.Encode(),
                s.ClassMaps
            );

        public ScoredImage ToScored() =>
            new(Path, Predicted, Probabilities, Map, Coordinates, BagLayout.Decode(Layout), MapKind)
            {
                Frame = Frame is null ? null : ImageFrame.Decode(Frame),
                ClassMaps = ClassMaps,
            };
    }

    /// <summary>Every item's scores: scored here without a shard; with one, this shard's part scored (or found) and
    /// stored, and every item's scores once all shards' parts are stored, else null.</summary>
    /// <param name="name">What is scored, unique within the step's output folder (e.g. the model's label).</param>
    /// <param name="score">Scores a part of the items, in their order.</param>
    public static IReadOnlyList<ScoredImage>? Score<T>(
        ScoringOptions scoring,
        string outDirectory,
        string name,
        string modelPath,
        IReadOnlyList<T> items,
        Func<T, string> pathOf,
        Func<IReadOnlyList<T>, IReadOnlyList<ScoredImage>> score,
        Action<string> log
    )
    {
        if (scoring.Shard is not { } shard)
            return score(items);
        var mine = items.Where((_, i) => i % shard.Count == shard.Index).ToList();
        var inputs = mine.Select(pathOf).ToList();
        var model = ShardedPredictions.ModelHashes([modelPath])[0];
        var path = PathOf(outDirectory, name, shard);
        var part = Finished(path, inputs, model);
        if (part is not null)
            log($"Shard {shard.Index + 1} of {shard.Count} of {name} was scored already with this model.");
        else
        {
            part = new Part(shard.Index + 1, shard.Count, model, inputs, [.. score(mine).Select(Stored.From)]);
            OutputFolder.Create(Path.GetDirectoryName(path)!);
            RunFiles.WriteJson(path, part);
            log($"Stored shard {shard.Index + 1} of {shard.Count} of {name} ({inputs.Count} inputs) in {path}.");
        }
        return Merged(outDirectory, name, part, [.. items.Select(pathOf)], log);
    }

    /// <summary>Every model's scores of every record (each model under its label, as <see cref="Score{T}"/>), or null
    /// while another shard is still scoring.</summary>
    public static List<IReadOnlyList<ScoredImage>>? ScoreEach(
        IReadOnlyList<LabelledModel.Loaded> models,
        IReadOnlyList<Data.Datasets.ImageRecord> records,
        string noun,
        ScoringOptions scoring,
        string outDirectory,
        Action<string> log,
        CancellationToken cancel
    )
    {
        var scored = new List<IReadOnlyList<ScoredImage>?>();
        foreach (var (label, path, model) in models)
        {
            log($"Scoring {records.Count} {noun} with masks with {label} ({model.MapKind.Name()}, {path})…");
            scored.Add(
                Score(
                    scoring,
                    outDirectory,
                    label,
                    path,
                    records,
                    r => r.Path,
                    part => Evaluation.Score(model, part, cancel),
                    log
                )
            );
        }
        return scored.Any(s => s is null) ? null : [.. scored.Select(s => s!)];
    }

    public static string PathOf(string outDirectory, string name, (int Index, int Count) shard) =>
        System.IO.Path.Combine(
            outDirectory,
            ShardedPredictions.Folder,
            $"scores.{FileName(name)}.{shard.Index + 1}-of-{shard.Count}.json"
        );

    private static Part? Finished(string path, IReadOnlyList<string> inputs, string model)
    {
        if (!File.Exists(path))
            return null;
        var part = RunReport.ReadJson<Part>(path);
        return part.Inputs.SequenceEqual(inputs) && part.Model == model ? part : null;
    }

    private static List<ScoredImage>? Merged(
        string outDirectory,
        string name,
        Part part,
        IReadOnlyList<string> all,
        Action<string> log
    )
    {
        var parts = new List<Part>();
        for (int k = 0; k < part.Shards; k++)
        {
            var path = PathOf(outDirectory, name, (k, part.Shards));
            if (!File.Exists(path))
            {
                log(
                    $"Shard {k + 1} of {part.Shards} of {name} is not stored yet; the last shard to finish does "
                        + "the rest."
                );
                return null;
            }
            parts.Add(k == part.Shard - 1 ? part : RunReport.ReadJson<Part>(path));
        }
        string folder = System.IO.Path.Combine(outDirectory, ShardedPredictions.Folder);
        if (parts.Any(p => p.Model != part.Model))
            throw new InvalidDataException(
                $"The shards of {name} in {folder} were scored with different models; score every shard with the same "
                    + "model into a fresh folder."
            );
        var byPath = new Dictionary<string, Stored>(StringComparer.Ordinal);
        bool once = parts.All(p => p.Inputs.Count == p.Scores.Count);
        foreach (var (input, stored) in parts.SelectMany(p => p.Inputs.Zip(p.Scores)))
            once &= byPath.TryAdd(input, stored);
        if (!once || byPath.Count != all.Count || !all.All(byPath.ContainsKey))
            throw new InvalidDataException(
                $"The shards of {name} in {folder} do not cover the {all.Count} inputs once each; the input changed "
                    + "between shards: score it again into a fresh folder."
            );
        log($"All {parts.Count} shards of {name} are stored: {all.Count} inputs scored.");
        return [.. all.Select(p => byPath[p].ToScored())];
    }

    private static string FileName(string name) =>
        string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
}
