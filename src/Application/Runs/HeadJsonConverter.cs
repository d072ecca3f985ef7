using System.Text.Json;
using System.Text.Json.Serialization;
using Amil.MLNet.Trainers;

namespace Amil.MLNet.Application.Runs;

/// <summary>A head in config.json as its name ("gated"). Run folders written while the pooling option was an
/// enumeration hold its word ("GatedAttention") or number; both still resume.</summary>
internal sealed class HeadJsonConverter : JsonConverter<Head>
{
    /// <summary>The enumeration's values in order, and its one word that is not a head's name.</summary>
    private static readonly string[] Enumerated = ["attention", "gated", "additive", "clam", "dsmil", "transmil"];

    /// <summary>A null head is refused here rather than left for a later step to stumble on.</summary>
    public override bool HandleNull => true;

    public override Head Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
            throw new JsonException("A pooling head must be named (got null).");
        if (reader.TokenType == JsonTokenType.Number)
            return reader.TryGetInt32(out int n) && n >= 0 && n < Enumerated.Length
                ? Heads.Find(Enumerated[n])
                : throw new JsonException($"{reader.GetDouble()} is not a pooling head.");
        var name = reader.GetString() ?? throw new JsonException("A pooling head must be named.");
        try
        {
            return Heads.Find(name.Equals("GatedAttention", StringComparison.OrdinalIgnoreCase) ? "gated" : name);
        }
        catch (ArgumentException e)
        {
            throw new JsonException(e.Message);
        }
    }

    public override void Write(Utf8JsonWriter writer, Head value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Name);
}
