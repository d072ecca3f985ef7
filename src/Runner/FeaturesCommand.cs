using System.CommandLine;
using System.Globalization;
using Amil.MLNet.Application;
using Amil.MLNet.Application.Features;

namespace Amil.MLNet.Runner;

/// <summary><c>amil features</c>: a dataset's frozen encoder features into the on-disk cache.</summary>
internal sealed class FeaturesCommand
{
    private readonly Option<string> _encoder = new("--encoder", "--extractor")
    {
        Description =
            "Frozen patch encoder: resnet18 (built in), an encoder manifest (.json), an .onnx file with its "
            + "manifest beside it, or a name registered in $AMIL_ENCODERS (docs/encoders.md).",
        DefaultValueFactory = _ => "resnet18",
    };
    private readonly Option<string> _output = new("--out")
    {
        Description = "Cache folder (the one train --feature-cache reads).",
        DefaultValueFactory = _ => Path.Combine(".cache", "features"),
    };
    private readonly Option<int?> _patchSize = new("--patch-size")
    {
        Description = "Patch side in pixels (default: the encoder's input size, 224 for resnet18).",
    };
    private readonly Option<int?> _stride = new("--stride") { Description = "Patch stride (default: the patch size)." };
    private readonly Option<string?> _crop = new("--crop")
    {
        Description = "Centre crop HxW or none (default: the dataset's).",
    };
    private readonly Option<string> _device = CommonOptions.Device(
        "where the encoder runs (cuda: ONNX Runtime's CUDA execution provider, which needs its GPU build; "
            + "docs/encoders.md)"
    );
    private readonly Option<bool> _claim = new("--claim")
    {
        Description =
            "For processes on several hosts that share the cache folder but no scheduler: claim each image or "
            + "slide before computing it (a file in OUT/claims/ naming host and process), pass by those others "
            + "hold and wait for them; a claim not refreshed for --claim-timeout minutes (its host died) is "
            + "taken over. Start the same command on every host.",
    };
    private readonly Option<double> _claimTimeout = new("--claim-timeout")
    {
        Description = "Minutes after which a claim nobody refreshed is taken over (claims are refreshed every 30 s).",
        DefaultValueFactory = _ => 30,
    };

    public static Command Create() => new FeaturesCommand().Build();

    private Command Build()
    {
        var command = new Command(
            "features",
            "Extract frozen encoder features for every image or slide of a dataset into the on-disk cache (valid "
                + "entries are reused; reruns continue "
                + "where an interrupted run stopped).\nExample: amil features --dataset synthetic --encoder "
                + "resnet18 --out .cache/features --shard 1/2"
        )
        {
            _encoder,
            _output,
            _patchSize,
            _stride,
            _crop,
        };
        var datasetOptions = new DatasetOptionGroup(command);
        var tiles = CommonOptions.SlideTiles().AddTo(command);
        var shards = new ShardOptionGroup(
            command,
            ", so several jobs or machines can split a cohort; shards share one cache safely"
        );
        command.Options.Add(_device);
        command.Options.Add(_claim);
        command.Options.Add(_claimTimeout);
        command.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                {
                    var settings = new TrainSettings
                    {
                        Dataset = datasetOptions.Read(r),
                        Network = Trainers.Networks.NetworkArchitecture.FeatureAttentionMil,
                        Encoder = r.GetValue(_encoder)!,
                        PatchSize = r.GetValue(_patchSize),
                        Stride = r.GetValue(_stride),
                        Crop = r.GetValue(_crop),
                        Device = Trainers.ComputeDevice.Parse(r.GetValue(_device)!).ToString(),
                    };
                    Run(r, tiles.Apply(r, settings), shards.Read(r) ?? (0, 1));
                }
            )
        );
        return command;
    }

    private void Run(ParseResult r, TrainSettings settings, (int Index, int Count) part)
    {
        var interrupt = CommandRunner.Interrupt;
        var summary = LiveProgress.Count(
            "features",
            (log, onImage) =>
                FeaturesJob.Run(
                    settings,
                    r.GetValue(_output)!,
                    part,
                    log,
                    interrupt,
                    onImage,
                    r.GetValue(_claim) ? ClaimTimeout(r.GetValue(_claimTimeout)) : null
                )
        );
        Console.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"{summary.Images} {(summary.Slides ? "slides" : "images")}: {summary.Hits} already "
                    + $"cached, {summary.Computed} computed ({summary.Patches} "
                    + $"{(summary.Slides ? "tiles" : "patches")}, {summary.PatchesPerSecond:F1}/s)."
            )
        );
    }

    private static TimeSpan ClaimTimeout(double minutes) =>
        minutes > 0 && double.IsFinite(minutes)
            ? TimeSpan.FromMinutes(minutes)
            : throw new ArgumentException($"--claim-timeout must be a positive number of minutes (got {minutes}).");
}
