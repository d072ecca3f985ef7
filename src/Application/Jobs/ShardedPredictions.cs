using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Amil.MLNet.Application.Runs;
using Amil.MLNet.Data.Datasets;
using static Amil.MLNet.Application.Jobs.PredictJob;

namespace Amil.MLNet.Application.Jobs;

/// <summary>
/// `predict --shard K/N`: each shard scores the inputs whose index in path order is K−1 modulo N and writes
/// DIR/shards/predictions.K-of-N.json (with the inputs it owned and the models' hashes); whichever shard finds all N
/// written merges them into DIR/predictions.json (and skipped.json), checking that every input was scored by exactly
/// one shard. A shard whose file is already there for the same inputs and models is not scored again.
/// </summary>
internal static class ShardedPredictions
{
    public const string Folder = "shards";

    /// <summary>One shard's file.</summary>
    public sealed record Part(
        [property: JsonPropertyName("shard")] int Shard,
        [property: JsonPropertyName("shards")] int Shards,
        [property: JsonPropertyName("models")] IReadOnlyList<string> Models,
        [property: JsonPropertyName("inputs")] IReadOnlyList<string> Inputs,
        [property: JsonPropertyName("predictions")] IReadOnlyList<Prediction> Predictions,
        [property: JsonPropertyName("skipped")] IReadOnlyList<SkippedImage> Skipped
    );

    /// <summary>The inputs of shard <paramref name="shard"/>: those whose index is its index modulo the
    /// count.</summary>
    public static List<string> Take(IReadOnlyList<string> inputs, (int Index, int Count) shard) =>
        [.. inputs.Where((_, i) => i % shard.Count == shard.Index)];

    /// <summary>What identifies the models a shard scored with: each file's SHA-256.</summary>
    public static List<string> ModelHashes(IEnumerable<string> models) =>
        [
            .. models.Select(m =>
            {
                using var stream = File.OpenRead(m);
                return Convert.ToHexStringLower(SHA256.HashData(stream));
            }),
        ];

    public static string PathOf(string outDirectory, (int Index, int Count) shard) =>
        Path.Combine(outDirectory, Folder, $"predictions.{shard.Index + 1}-of-{shard.Count}.json");

    /// <summary>This shard's earlier file when it scored the same inputs with the same models; else null.</summary>
    public static Part? Finished(
        string outDirectory,
        (int Index, int Count) shard,
        IReadOnlyList<string> inputs,
        IReadOnlyList<string> models
    )
    {
        var path = PathOf(outDirectory, shard);
        if (!File.Exists(path))
            return null;
        var part = RunReport.ReadJson<Part>(path);
        return part.Inputs.SequenceEqual(inputs) && part.Models.SequenceEqual(models) ? part : null;
    }

    /// <summary>Writes this shard's file; when every shard's file is there, merges them into predictions.json (and
    /// skipped.json) and returns the merged predictions; else null.</summary>
    public static List<Prediction>? Write(string outDirectory, Part part, IReadOnlyList<string> all, Action<string> log)
    {
        var shard = (part.Shard - 1, part.Shards);
        OutputFolder.Create(Path.Combine(outDirectory, Folder));
        RunFiles.WriteJson(PathOf(outDirectory, shard), part);
        log(
            $"Wrote shard {part.Shard} of {part.Shards} ({part.Inputs.Count} inputs) to {PathOf(outDirectory, shard)}."
        );
        var parts = new List<Part>();
        for (int k = 0; k < part.Shards; k++)
        {
            var path = PathOf(outDirectory, (k, part.Shards));
            if (!File.Exists(path))
            {
                log(
                    $"Shard {k + 1} of {part.Shards} is not written yet; the last shard to finish writes "
                        + "predictions.json."
                );
                return null;
            }
            parts.Add(k == part.Shard - 1 ? part : RunReport.ReadJson<Part>(path));
        }
        return Merge(outDirectory, parts, all, log);
    }

    private static List<Prediction> Merge(
        string outDirectory,
        List<Part> parts,
        IReadOnlyList<string> all,
        Action<string> log
    )
    {
        if (parts.Any(p => !p.Models.SequenceEqual(parts[0].Models)))
            throw new InvalidDataException(
                $"The shards in {Path.Combine(outDirectory, Folder)} were scored with different models; score every "
                    + "shard with the same --model into a fresh folder."
            );
        var owned = parts.SelectMany(p => p.Inputs).ToList();
        if (
            owned.Count != all.Count
            || !owned.Order(StringComparer.Ordinal).SequenceEqual(all.Order(StringComparer.Ordinal))
        )
            throw new InvalidDataException(
                $"The shards in {Path.Combine(outDirectory, Folder)} cover {owned.Distinct().Count()} of the "
                    + $"{all.Count} inputs (or cover some twice); the input changed between shards: score it again "
                    + "into a fresh folder."
            );
        var order = all.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i, StringComparer.Ordinal);
        var predictions = parts.SelectMany(p => p.Predictions).OrderBy(p => order[p.Path]).ToList();
        var skipped = parts.SelectMany(p => p.Skipped).ToList();
        var path = Path.Combine(outDirectory, "predictions.json");
        RunFiles.WriteJson(path, predictions);
        if (skipped.Count > 0)
            RunFiles.WriteJson(Path.Combine(outDirectory, "skipped.json"), skipped);
        log($"All {parts.Count} shards are written: merged {predictions.Count} predictions into {path}.");
        return predictions;
    }
}
