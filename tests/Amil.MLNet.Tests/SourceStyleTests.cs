using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>The house style that a reviewer would otherwise have to police: no C# line over 120 characters
/// (.editorconfig; <c>dotnet csharpier format .</c> lays code out to it).</summary>
public class SourceStyleTests
{
    [Fact]
    public void NoSourceLineIsLongerThan120Characters()
    {
        var root = Programs.RepoRoot();
        var offenders = new[] { "src", "tests", "samples" }
            .SelectMany(folder =>
                Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories)
            )
            .Where(file =>
                !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                && !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")
            )
            .SelectMany(file => File.ReadLines(file).Select((line, i) => (file, line: i + 1, length: line.Length)))
            .Where(x => x.length > 120)
            .Select(x => $"{Path.GetRelativePath(root, x.file)}:{x.line} ({x.length} characters)")
            .ToList();
        Assert.True(offenders.Count == 0, "Lines over 120 characters:\n" + string.Join('\n', offenders));
    }
}
