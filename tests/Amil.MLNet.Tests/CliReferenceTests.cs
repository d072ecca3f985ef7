using System.Text;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>docs/cli.md is the `--help` of every verb, word for word; this test fails when they drift apart.
/// Regenerate with: AMIL_WRITE_CLI_REFERENCE=1 dotnet test Amil.MLNet.sln -c Release --filter CliReference</summary>
public class CliReferenceTests
{
    private static readonly string[][] Verbs =
    [
        [],
        ["train"],
        ["evaluate"],
        ["predict"],
        ["heatmap"],
        ["localize"],
        ["report"],
        ["view"],
        ["features"],
        ["encoders", "check"],
        ["bench"],
        ["study"],
        ["slide"],
        ["synth"],
        ["datasets", "list"],
        ["datasets", "check"],
    ];

    [Fact]
    public void CliReferenceMatchesTheHelpOfEveryVerb()
    {
        var text = new StringBuilder(
            "# `amil` command reference\n\nGenerated from `--help` (tests/CliReferenceTests.cs checks it). "
                + "Run any verb as `dotnet run --project src/Runner -- <verb> …`.\n"
        );
        foreach (var verb in Verbs)
        {
            var (exit, stdout, stderr) = Programs.Amil([.. verb, "--help"]);
            Assert.True(exit == 0, $"amil {string.Join(' ', verb)} --help failed: {stderr}");
            if (verb.Length == 0)
            {
                // Every verb the CLI lists has its section here (a new verb cannot be left out).
                var listed = stdout
                    .Split('\n')
                    .SkipWhile(l => !l.StartsWith("Commands:"))
                    .Skip(1)
                    .Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^  (\w[\w-]*)\b"))
                    .Where(m => m.Success)
                    .Select(m => m.Groups[1].Value);
                Assert.All(listed, v => Assert.Contains(Verbs, known => known.Length > 0 && known[0] == v));
            }
            text.Append(
                $"\n## amil {(verb.Length == 0 ? "(all verbs)" : string.Join(' ', verb))}\n\n"
                    + $"```text\n{stdout.Replace("\r\n", "\n").TrimEnd()}\n```\n"
            );
        }
        var path = Path.Combine(Programs.RepoRoot(), "docs", "cli.md");
        if (Environment.GetEnvironmentVariable("AMIL_WRITE_CLI_REFERENCE") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text.ToString());
        }
        Assert.True(File.Exists(path), "docs/cli.md is missing; regenerate it (see this test's summary).");
        Assert.True(
            File.ReadAllText(path) == text.ToString(),
            "docs/cli.md differs from the verbs' --help; regenerate it: AMIL_WRITE_CLI_REFERENCE=1 dotnet test "
                + "Amil.MLNet.sln -c Release --filter CliReference"
        );
    }
}
