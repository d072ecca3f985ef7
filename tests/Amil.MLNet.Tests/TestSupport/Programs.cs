using System.Diagnostics;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>This repository's programs as the tests run them: built in the tests' configuration, each a separate
/// process, and the repository root they live under.</summary>
internal static class Programs
{
    /// <summary>The amil CLI (src/Runner), out of process as a user runs it.</summary>
    internal static (int Exit, string Stdout, string Stderr) Amil(params string[] args) =>
        RunBuilt(Path.Combine("src", "Runner"), "amil.dll", args);

    /// <summary>amil predict of one model on an image or folder into <paramref name="output"/>, plus options.</summary>
    internal static (int Exit, string Stdout, string Stderr) Predict(
        string model,
        string input,
        string output,
        params string[] options
    ) => Amil(["predict", "--model", model, "--input", input, "--out", output, .. options]);

    /// <summary>amil train of one epoch on the slides under <paramref name="root"/> (layout wsi, ResNet18 features in
    /// <paramref name="cache"/>) into <paramref name="output"/>, plus options.</summary>
    internal static (int Exit, string Stdout, string Stderr) TrainSlides(
        string root,
        string cache,
        string output,
        params string[] options
    ) =>
        Amil([
            "train",
            "--data",
            root,
            "--layout",
            "wsi",
            "--encoder",
            "resnet18",
            "--epochs",
            "1",
            "--feature-cache",
            cache,
            "--out",
            output,
            .. options,
        ]);

    /// <summary>The amil CLI with extra environment variables.</summary>
    internal static (int Exit, string Stdout, string Stderr) Amil(
        IReadOnlyDictionary<string, string> environment,
        params string[] args
    ) => RunBuilt(Path.Combine("src", "Runner"), "amil.dll", environment, args);

    internal static string RunSample(string model, string image)
    {
        var (exit, stdout, stderr) = RunBuilt(Path.Combine("samples", "ScoreImage"), "ScoreImage.dll", model, image);
        Assert.True(exit == 0, $"ScoreImage failed: {stderr}");
        return stdout;
    }

    /// <summary>Runs a program of this repository, built in the tests' configuration, as a separate process.</summary>
    internal static (int Exit, string Stdout, string Stderr) RunBuilt(
        string projectFolder,
        string dll,
        params string[] args
    ) => RunBuilt(projectFolder, dll, new Dictionary<string, string>(), args);

    /// <summary>As above, with extra environment variables.</summary>
    internal static (int Exit, string Stdout, string Stderr) RunBuilt(
        string projectFolder,
        string dll,
        IReadOnlyDictionary<string, string> environment,
        params string[] args
    )
    {
        var program = BuiltProgram(projectFolder, dll);
        var start = new ProcessStartInfo("dotnet", [program, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }

    /// <summary>A program of this repository as built in the tests' configuration (it must be built).</summary>
    internal static string BuiltProgram(string projectFolder, string dll)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // …/bin/<Config>/net10.0/
        var program = Path.Combine(RepoRoot(), projectFolder, "bin", configuration, "net10.0", dll);
        Assert.True(File.Exists(program), $"{dll} not built at {program}");
        return program;
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Amil.MLNet.sln")))
                return dir.FullName;
        throw new InvalidOperationException("Amil.MLNet.sln not found above the test binaries.");
    }
}
