using System.CommandLine;
using System.Net;
using Amil.MLNet.Viewer;

namespace Amil.MLNet.Runner;

internal static class ViewCommand
{
    public static Command Create()
    {
        var path = new Argument<string?>("path")
        {
            Description =
                "A run folder (image or slide run), a predict output folder (predictions.json), or with --model an "
                + "image, a slide or a folder of them.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var model = new Option<string?>("--model")
        {
            Description = "A model.zip to score the images, slides or --dataset with (run folders bring theirs).",
        };
        var tumour = new Option<string[]>("--tumour-class")
        {
            Description =
                "The classes the default map shows evidence for (default: every class not named benign, normal, "
                + "negative or healthy).",
            AllowMultipleArgumentsPerToken = true,
        };
        var gradCam = new Option<string?>("--gradcam-model")
        {
            Description =
                "Image runs: a CNN baseline model.zip (train --baseline cnn); its Grad-CAM becomes two more layers.",
        };
        var port = new Option<int>("--port") { Description = "Port to listen on (default: a free one)." };
        var host = new Option<string>("--host")
        {
            Description =
                "Address to listen on (default 127.0.0.1: this machine only). 0.0.0.0 lets other machines in; "
                + "the viewer has no login, so do that only on a network you trust.",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        var command = new Command(
            "view",
            "Look at the results in the browser: a local web app with every item (sortable, worst first), deep zoom "
                + "over each image or slide with its maps as overlays (tumour evidence on one scale for the run by "
                + "default), the ground-truth outline, per-patch values on click, GeoJSON and PNG downloads. Stops "
                + "with Ctrl-C.\nExamples: amil view runs/synthetic-20261202-101500 · amil view runs/wsi · amil view "
                + "slides/ --model runs/wsi/model.zip"
        )
        {
            path,
            model,
            tumour,
            gradCam,
            port,
            host,
        };
        var datasetOptions = new DatasetOptionGroup(command, model);
        var scoring = new ScoringOptionGroup(command);
        command.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                {
                    int p = r.GetValue(port);
                    if (p is < 0 or > 65535)
                        throw new ArgumentException($"--port must be 0 to 65535 (got {p}).");
                    string listen = r.GetValue(host)!;
                    if (!IPAddress.TryParse(listen, out var address) && listen != "localhost")
                        throw new ArgumentException(
                            $"--host must be an IP address such as 127.0.0.1 (got '{listen}')."
                        );
                    if (address is not null && !IPAddress.IsLoopback(address))
                        Console.Error.WriteLine(
                            $"warning: listening on {listen}: anyone who can reach this machine can see these "
                                + "images and slides (the viewer has no login)."
                        );
                    bool withDataset = datasetOptions.Given(r);
                    var options = scoring.Read(r);
                    var request = new ViewRequest(
                        r.GetValue(path),
                        r.GetValue(model),
                        withDataset ? datasetOptions.Read(r) : null,
                        options.FeatureCache,
                        r.GetValue(tumour) is { Length: > 0 } t ? t : null,
                        r.GetValue(gradCam)
                    )
                    {
                        Device = options.Device,
                    };
                    var server = ViewerServer
                        .StartAsync(request, new ViewerOptions(listen, p), CommandRunner.Log)
                        .GetAwaiter()
                        .GetResult();
                    Console.WriteLine($"Viewing {server.Items} item(s) at {server.Address} (Ctrl-C to stop)");
                    server.RunUntilAsync(CommandRunner.Interrupt).GetAwaiter().GetResult();
                    server.DisposeAsync().AsTask().GetAwaiter().GetResult();
                    Console.WriteLine("Viewer stopped.");
                }
            )
        );
        return command;
    }
}
