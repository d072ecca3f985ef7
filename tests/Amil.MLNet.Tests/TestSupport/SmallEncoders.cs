using System.Text.Json;

namespace Amil.MLNet.Tests;

/// <summary>The small encoders committed under tests/…/Encoders (written by Reference/make_encoders.py) and the
/// features PyTorch gives for their fixed patches.</summary>
internal static class SmallEncoders
{
    public static string File(string name) =>
        Path.Combine(Programs.RepoRoot(), "tests", "Amil.MLNet.Tests", "Encoders", name);

    /// <summary>PyTorch's features of an encoder's fixed patches (one row per patch) and the patch side.</summary>
    public static (List<double[]> Features, int PatchSize) PyTorch(string encoder)
    {
        using var json = JsonDocument.Parse(System.IO.File.ReadAllText(File("reference.json")));
        int size = json.RootElement.GetProperty("patches").GetProperty(encoder).GetInt32();
        var features = json
            .RootElement.GetProperty("features")
            .GetProperty(encoder)
            .EnumerateArray()
            .Select(row => row.EnumerateArray().Select(v => v.GetDouble()).ToArray())
            .ToList();
        return (features, size);
    }
}
