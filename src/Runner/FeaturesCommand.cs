using System.CommandLine;
using System.Globalization;
using Amil.MLNet.Application;
using Amil.MLNet.Application.Features;

namespace Amil.MLNet.Runner;

internal static class FeaturesCommand
{
    public static Command Create()
    {
        var extractor = new Option<string>("--encoder", "--extractor")
        {
            Description =
                "Frozen patch encoder: resnet18 (built in), an encoder manifest (.json), an .onnx file with its "
                + "manifest beside it, or a name registered in $AMIL_ENCODERS (docs/encoders.md).",
            DefaultValueFactory = _ => "resnet18",
        };
        var output = new Option<string>("--out")
        {
            Description = "Cache folder (the one train --feature-cache reads).",
            DefaultValueFactory = _ => Path.Combine(".cache", "features"),
        };
        var patchSize = new Option<int?>("--patch-size")
        {
            Description = "Patch side in pixels (default: the encoder's input size, 224 for resnet18).",
        };
        var stride = new Option<int?>("--stride") { Description = "Patch stride (default: the patch size)." };
        var crop = new Option<string?>("--crop") { Description = "Centre crop HxW or none (default: the dataset's)." };
        var command = new Command(
            "features",
            "Extract frozen encoder features for every image or slide of a dataset into the on-disk cache (valid "
                + "entries are reused; reruns continue "
                + "where an interrupted run stopped).\nExample: amil features --dataset synthetic --encoder "
                + "resnet18 --out .cache/features --shard 1/2"
        )
        {
            extractor,
            output,
            patchSize,
            stride,
            crop,
        };
        var datasetOptions = new DatasetOptionGroup(command);
        var tiles = CommonOptions.SlideTiles().AddTo(command);
        var shards = new ShardOptionGroup(
            command,
            ", so several jobs or machines can split a cohort; shards share one cache safely"
        );
        var claim = new Option<bool>("--claim")
        {
            Description =
                "For processes on several hosts that share the cache folder but no scheduler: claim each image or "
                + "slide before computing it (a file in OUT/claims/ naming host and process), pass by those others "
                + "hold and wait for them; a claim not refreshed for --claim-timeout minutes (its host died) is "
                + "taken over. Start the same command on every host.",
        };
        var claimTimeout = new Option<double>("--claim-timeout")
        {
            Description =
                "Minutes after which a claim nobody refreshed is taken over (claims are refreshed every 30 s).",
            DefaultValueFactory = _ => 30,
        };
        command.Options.Add(claim);
        command.Options.Add(claimTimeout);
        command.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                {
                    var selection = datasetOptions.Read(r);
                    var settings = new TrainSettings
                    {
                        Dataset = selection,
                        Network = Trainers.Networks.NetworkArchitecture.FeatureAttentionMil,
                        Encoder = r.GetValue(extractor)!,
                        PatchSize = r.GetValue(patchSize),
                        Stride = r.GetValue(stride),
                        Crop = r.GetValue(crop),
                    };
                    settings = tiles.Apply(r, settings);
                    var part = shards.Read(r) ?? (0, 1);
                    var interrupt = CommandRunner.Interrupt;
                    var summary = LiveProgress.Count(
                        "features",
                        (log, onImage) =>
                            FeaturesJob.Run(
                                settings,
                                r.GetValue(output)!,
                                part,
                                log,
                                interrupt,
                                onImage,
                                r.GetValue(claim) ? ClaimTimeout(r.GetValue(claimTimeout)) : null
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
            )
        );
        return command;
    }

    private static TimeSpan ClaimTimeout(double minutes) =>
        minutes > 0 && double.IsFinite(minutes)
            ? TimeSpan.FromMinutes(minutes)
            : throw new ArgumentException($"--claim-timeout must be a positive number of minutes (got {minutes}).");
}
