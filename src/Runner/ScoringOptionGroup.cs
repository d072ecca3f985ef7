using System.CommandLine;
using Amil.MLNet.Application;
using Amil.MLNet.Trainers;

namespace Amil.MLNet.Runner;

/// <summary>The one option group of every command that scores models: --device and, where slides may be scored,
/// --feature-cache, read into the jobs' <see cref="ScoringOptions"/>.</summary>
internal sealed class ScoringOptionGroup
{
    private readonly Option<string> _device = CommonOptions.Device("where the models score");
    private readonly Option<string?>? _featureCache;

    /// <summary>Adds the group's options to <paramref name="command"/>.</summary>
    public ScoringOptionGroup(Command command, bool slides = true)
    {
        if (slides)
        {
            _featureCache = CommonOptions.FeatureCache();
            command.Options.Add(_featureCache);
        }
        command.Options.Add(_device);
    }

    /// <summary>What the user asked for; an unknown device is a user error naming the choices.</summary>
    public ScoringOptions Read(ParseResult r) =>
        new(ComputeDevice.Parse(r.GetValue(_device)!), _featureCache is null ? null : r.GetValue(_featureCache));
}
