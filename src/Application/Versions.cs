using System.Reflection;

namespace Amil.MLNet.Application;

/// <summary>Versions recorded in config.json so a run can be traced.</summary>
public static class Versions
{
    public static IReadOnlyDictionary<string, string> All() =>
        new Dictionary<string, string>
        {
            ["amil_mlnet"] = Of(typeof(Versions).Assembly),
            ["ml_net"] = Of(typeof(Microsoft.ML.MLContext).Assembly),
            ["torchsharp"] = Of(typeof(TorchSharp.torch).Assembly),
            ["libtorch"] = TorchSharp.torch.__version__,
            ["dotnet"] = Environment.Version.ToString(),
        };

    private static string Of(Assembly a) =>
        a.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? a.GetName().Version?.ToString()
        ?? "unknown";
}
