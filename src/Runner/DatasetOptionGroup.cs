using System.CommandLine;
using Amil.MLNet.Application;

namespace Amil.MLNet.Runner;

/// <summary>The one option group of every command that reads a dataset: --dataset, --datasets, --data and --layout,
/// read into a <see cref="DatasetSelection"/>.</summary>
internal sealed class DatasetOptionGroup
{
    private readonly Option<string?> _dataset = CommonOptions.Dataset();
    private readonly Option<string?> _datasets = CommonOptions.DatasetsFile();
    private readonly Option<string?> _data = CommonOptions.Data();
    private readonly Option<string?> _layout = CommonOptions.Layout();

    /// <summary>Adds the group's options to <paramref name="command"/>: first, or right after
    /// <paramref name="after"/> (the model a command scores, which its help names first).</summary>
    public DatasetOptionGroup(Command command, Option? after = null)
    {
        int at = after is null ? 0 : command.Options.IndexOf(after) + 1;
        foreach (var option in new[] { _dataset, _datasets, _data, _layout })
            command.Options.Insert(at++, option);
    }

    /// <summary>Whether the user named a dataset (--dataset or --data).</summary>
    public bool Given(ParseResult r) => r.GetValue(_dataset) is not null || r.GetValue(_data) is not null;

    /// <summary>The dataset the user chose.</summary>
    public DatasetSelection Read(ParseResult r) =>
        new(r.GetValue(_dataset), r.GetValue(_datasets), r.GetValue(_data), r.GetValue(_layout));
}
