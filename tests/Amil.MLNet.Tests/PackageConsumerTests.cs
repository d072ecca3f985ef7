using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace Amil.MLNet.Tests;

/// <summary>
/// The packages as a user meets them: packed from this build, restored by a console app outside this repository (so
/// none of our Directory.Build files help it), which holds every C# block of README.md and docs/, trains two epochs,
/// evaluates, saves, and reloads in a second process with bit-identical scores.
/// </summary>
public sealed partial class PackageConsumerTests : IDisposable
{
    // Outside the repository: no Directory.Build.props, global.json or nuget.config of ours applies.
    private readonly string _work = TestTemp.Folder("amil-consumer-").FullName;
    private readonly string _version = $"0.0.0-test{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

    public void Dispose()
    {
        Directory.Delete(_work, recursive: true);
        // Each run packs a unique version (so a stale copy is never restored); remove it from the NuGet cache again.
        foreach (var id in new[] { "amil.mlnet", "amil.mlnet.transforms", "amil.mlnet.slides", "amil.mlnet.trainers" })
        {
            var folder = Path.Combine(NuGetCache, id, _version);
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The NuGet cache, written without a trailing slash: the consumer restores with NUGET_PACKAGES set
    /// that way, as CI caches often are (NuGetPackageRoot then has no slash either).</summary>
    private static string NuGetCache =>
        Path.TrimEndingDirectorySeparator(
            Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages")
        );

    [Fact]
    [Trait("Category", "Slow")]
    public void AConsumerProjectUsesThePackedPackagesAsTheReadmeSays()
    {
        string repo = Programs.RepoRoot();
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string packages = Path.Combine(_work, "nupkgs");
        Run(
            repo,
            "dotnet",
            "pack",
            Path.Combine(repo, "Amil.MLNet.sln"),
            "-c",
            configuration,
            "--no-build",
            "-o",
            packages,
            $"-p:PackageVersion={_version}"
        );
        foreach (var id in new[] { "Amil.MLNet", "Amil.MLNet.Transforms", "Amil.MLNet.Slides", "Amil.MLNet.Trainers" })
            Assert.True(File.Exists(Path.Combine(packages, $"{id}.{_version}.nupkg")), id);
        Assert.True(File.Exists(Path.Combine(packages, $"Amil.MLNet.Trainers.{_version}.snupkg")));
        // The NuGet page: the short package README, not the repository's (whose links to docs/ a package page lacks).
        using (
            var nupkg = System.IO.Compression.ZipFile.OpenRead(Path.Combine(packages, $"Amil.MLNet.{_version}.nupkg"))
        )
        using (var readme = new StreamReader(nupkg.GetEntry("README.md")!.Open()))
            Assert.Equal(File.ReadAllText(Path.Combine(repo, "docs", "nuget", "README.md")), readme.ReadToEnd());

        string app = Path.Combine(_work, "app");
        Directory.CreateDirectory(app);
        File.WriteAllText(
            Path.Combine(app, "nuget.config"),
            $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources><add key="amil-packed" value="{packages}" /></packageSources>
            </configuration>
            """
        );
        File.WriteAllText(
            Path.Combine(app, "Consumer.csproj"),
            $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Amil.MLNet" Version="{_version}" />
              </ItemGroup>
            </Project>
            """
        );
        File.WriteAllText(Path.Combine(app, "Program.cs"), ConsumerProgram);
        File.WriteAllText(
            Path.Combine(app, "ReadmeBlocks.cs"),
            ReadmeBlocks(
                string.Join(
                    "\n",
                    Directory
                        .EnumerateFiles(Path.Combine(repo, "docs"), "*.md")
                        .Order(StringComparer.Ordinal)
                        .Prepend(Path.Combine(repo, "README.md"))
                        .Select(File.ReadAllText)
                )
            )
        );
        Run(app, "dotnet", "build", "-c", "Release", "-o", Path.Combine(app, "out"));
        Assert.True(
            File.Exists(Path.Combine(app, "out", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx")),
            "the ResNet18 models did not reach the consumer's output"
        );

        string data = TestImages.ImageFolder(Path.Combine(_work, "data"), 56, 56, ("", 3));
        string model = Path.Combine(_work, "model.zip");
        string consumer = Path.Combine(app, "out", "Consumer.dll");
        var trained = Run(app, "dotnet", consumer, "train", data, model);
        Assert.Contains("dark", trained); // the confusion table names the classes
        Assert.Contains("light", trained);
        Assert.DoesNotContain("__Amil", trained);
        var reloaded = Run(app, "dotnet", consumer, "score", data, model);
        var scores = ScoreLines(trained);
        Assert.Equal(6, scores.Count);
        Assert.Equal(scores, ScoreLines(reloaded));

        // A slide model from the packages alone: TileSlides + AttentionMil, saved, reloaded in another process.
        string slides = Path.Combine(_work, "slides");
        Data.Synthetic.SyntheticSlides.Generate(
            slides,
            new Data.Synthetic.SyntheticSlideOptions(4, 5) { Width = 1024, Height = 768 }
        );
        string slideModel = Path.Combine(_work, "slide-model.zip");
        var slideTrained = Run(app, "dotnet", consumer, "train-slides", slides, slideModel);
        Assert.Contains("normal", slideTrained);
        Assert.Contains("tumor", slideTrained);
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(slides, "cache"), "*", SearchOption.AllDirectories));
        var slideScores = SlideScores(slideTrained);
        Assert.Equal(4, slideScores.Count);
        var slideReloaded = SlideScores(Run(app, "dotnet", consumer, "score-slides", slides, slideModel));
        Assert.Equal(slideScores.Keys, slideReloaded.Keys);
        // Equal to float rounding: libtorch's products over hundreds of 512-feature tiles vary in the last bits.
        foreach (var (slide, p) in slideScores)
            Assert.All(p.Zip(slideReloaded[slide]), x => Assert.Equal(x.First, x.Second, 5));

        // The same on the small ONNX ViT (docs/encoders.md): its manifest named in the options, the model reloaded
        // in another process finds it by the path the model saved.
        string vit = Path.Combine(repo, "tests", "Amil.MLNet.Tests", "Encoders", "tiny_vit.json");
        string vitModel = Path.Combine(_work, "vit-model.zip");
        var vitScores = SlideScores(Run(app, "dotnet", consumer, "train-slides", slides, vitModel, vit));
        Assert.Equal(4, vitScores.Count);
        var vitReloaded = SlideScores(Run(app, "dotnet", consumer, "score-slides", slides, vitModel, vit));
        foreach (var (slide, p) in vitScores)
            Assert.All(p.Zip(vitReloaded[slide]), x => Assert.Equal(x.First, x.Second, 5));
    }

    private static Dictionary<string, float[]> SlideScores(string output) =>
        ScoreLines(output)
            .Select(l => l.Split(' '))
            .ToDictionary(
                f => f[1],
                f => f[2..].Select(b => BitConverter.Int32BitsToSingle(Convert.ToInt32(b, 16))).ToArray()
            );

    private static List<string> ScoreLines(string output) =>
        output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("SCORE ", StringComparison.Ordinal)).ToList();

    /// <summary>Every ```csharp block of the README as a compilable file: its using lines at the top, its type
    /// declarations in a namespace of its own, its statements in a method of that namespace.</summary>
    internal static string ReadmeBlocks(string readme)
    {
        var blocks = CSharpBlock().Matches(readme).Select(m => m.Groups[1].Value).ToList();
        Assert.True(blocks.Count >= 3, $"README.md and docs/ have {blocks.Count} C# blocks");
        var usings = new SortedSet<string>(StringComparer.Ordinal);
        var body = new StringBuilder();
        for (int i = 0; i < blocks.Count; i++)
        {
            var lines = blocks[i].Split('\n');
            usings.UnionWith(lines.Where(l => l.StartsWith("using ", StringComparison.Ordinal)).Select(l => l.Trim()));
            var code = lines.Where(l => !l.StartsWith("using ", StringComparison.Ordinal)).ToList();
            int types = code.FindIndex(l => TypeDeclaration().IsMatch(l));
            var statements = types < 0 ? code : code[..types];
            body.Append(
                $"namespace ReadmeBlock{i + 1}\n{{\n    internal static class Block\n    {{\n        public static "
                    + "void Run()\n        {\n"
            );
            foreach (var line in statements)
                body.Append("            ").Append(line).Append('\n');
            body.Append("        }\n    }\n");
            if (types >= 0)
                foreach (var line in code[types..])
                    body.Append("    ").Append(line).Append('\n');
            body.Append("}\n");
        }
        return string.Join('\n', usings) + "\n#pragma warning disable CS0219, CS8321\n" + body;
    }

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"^(public |internal )?(sealed |static |abstract )?(class|record|struct|enum) ")]
    private static partial Regex TypeDeclaration();

    private static string Run(string directory, string program, params string[] args)
    {
        var start = new ProcessStartInfo(program, args)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["NUGET_PACKAGES"] = NuGetCache;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(8)), $"{program} {string.Join(' ', args)} did not finish");
        Assert.True(
            process.ExitCode == 0,
            $"{program} {string.Join(' ', args)} exited {process.ExitCode}:\n{stdout.Result}\n{stderr.Result}"
        );
        return stdout.Result;
    }

    /// <summary>The consumer's own code: train (2 epochs) and evaluate and save, or load and score, printing each
    /// image's Score as raw float bits so two processes can be compared exactly.</summary>
    private const string ConsumerProgram = """
        using Amil.MLNet.Transforms.Bagging;
        using Amil.MLNet.Slides;
        using Microsoft.ML;
        using Microsoft.ML.Data;

        var ml = new MLContext(seed: 1);
        bool slides = args[0].EndsWith("slides");
        List<Row> rows;
        if (slides)
        {
            SlideFeatures.CacheFolder = Path.Combine(args[1], "cache");
            rows = Directory.EnumerateFiles(Path.Combine(args[1], "slides"), "*.svs").Order(StringComparer.Ordinal)
                .Select(p => new Row { SlidePath = p, Label = Path.GetFileName(p).Split('_')[0] }).ToList();
        }
        else
            rows = Directory.EnumerateFiles(args[1], "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                .Select(p => new Row { ImagePath = p, Label = Path.GetFileName(Path.GetDirectoryName(p))! }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        ITransformer model;
        if (args[0].StartsWith("train"))
        {
            var pipeline = slides
                ? ml.Transforms.Conversion.MapValueToKey("Label")
                    .Append(args.Length > 3
                        ? ml.Transforms.TileSlides(new SlideTilesOptions { Encoder = args[3], TileSize = 112 })
                        : ml.Transforms.TileSlides())
                    .Append(ml.MulticlassClassification.Trainers.AttentionMil(bagColumnName: "Features", maxEpochs: 2))
                : ml.Transforms.Conversion.MapValueToKey("Label")
                    .Append(ml.Transforms.BagPatches(new PatchBaggingOptions { CropHeight = null, CropWidth = null }))
                    .Append(ml.MulticlassClassification.Trainers.AttentionMil(maxEpochs: 2));
            model = pipeline.Fit(data);
            var metrics = ml.MulticlassClassification.Evaluate(model.Transform(data));
            Console.WriteLine(metrics.ConfusionMatrix.GetFormattedConfusionTable());
            ml.Model.Save(model, data.Schema, args[2]);
        }
        else
        {
            ml.RegisterAmilComponents();
            model = ml.Model.Load(args[2], out _);
        }
        var scores = model.Transform(data).GetColumn<float[]>("Score").ToList();
        for (int i = 0; i < rows.Count; i++)
        {
            var bits = scores[i].Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8"));
            string name = Path.GetFileName(slides ? rows[i].SlidePath : rows[i].ImagePath);
            Console.WriteLine($"SCORE {name} {string.Join(' ', bits)}");
        }

        public sealed class Row
        {
            public string ImagePath { get; set; } = "";
            public string SlidePath { get; set; } = "";
            public string Label { get; set; } = "";
        }
        """;
}
