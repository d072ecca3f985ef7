using System.Text.Json;
using System.Text.Json.Serialization;

namespace Amil.MLNet.Slides;

/// <summary>What quality control did to one slide: its tissue tiles, how many passed, and how many held each flag
/// (by the flag's name in files: blur, pen, fold, background; a tile may hold several).</summary>
public sealed record QualitySummary(
    [property: JsonPropertyName("tissue_tiles")] int TissueTiles,
    [property: JsonPropertyName("kept")] int Kept,
    [property: JsonPropertyName("flagged")] IReadOnlyDictionary<string, int> Flagged
)
{
    /// <summary>The summary of a slide's tile flags.</summary>
    public static QualitySummary Of(IReadOnlyList<TileFlags> flags) =>
        new(flags.Count, flags.Count(f => f == TileFlags.None), SlideQuality.Counts(flags));

    /// <summary>Tiles left out: those holding any flag.</summary>
    [JsonIgnore]
    public int Excluded => TissueTiles - Kept;

    internal string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>The summary written by <see cref="ToJson"/>; null for "" or text that does not hold one.</summary>
    internal static QualitySummary? FromJson(string text)
    {
        if (text.Length == 0)
            return null;
        try
        {
            var summary = JsonSerializer.Deserialize<QualitySummary>(text);
            return
                summary is { TissueTiles: >= 0, Kept: >= 0, Flagged: not null } && summary.Kept <= summary.TissueTiles
                ? summary
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
