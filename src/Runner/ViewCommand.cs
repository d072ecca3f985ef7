using System.CommandLine;
using System.Net;
using Amil.MLNet.Viewer;

namespace Amil.MLNet.Runner;

/// <summary><c>amil view</c>: the results in a local web app.</summary>
internal sealed class ViewCommand
{
    private readonly Argument<string?> _path = new("path")
    {
        Description =
            "A run folder (image or slide run), a predict output folder (predictions.json), or with --model an "
            + "image, a slide or a folder of them.",
        Arity = ArgumentArity.ZeroOrOne,
    };
    private readonly Option<string?> _model = new("--model")
    {
        Description = "A model.zip to score the images, slides or --dataset with (run folders bring theirs).",
    };
    private readonly Option<string[]> _tumour = new("--tumour-class")
    {
        Description =
            "The classes the default map shows evidence for (default: every class not named benign, normal, "
            + "negative or healthy).",
        AllowMultipleArgumentsPerToken = true,
    };
    private readonly Option<string?> _gradCam = new("--gradcam-model")
    {
        Description =
            "Image runs: a CNN baseline model.zip (train --baseline cnn); its Grad-CAM becomes two more layers.",
    };
    private readonly Option<int> _port = new("--port") { Description = "Port to listen on (default: a free one)." };
    private readonly Option<string> _host = new("--host")
    {
        Description =
            "Address to listen on (default 127.0.0.1: this machine only). 0.0.0.0 lets other machines in; "
            + "the viewer has no login, so do that only on a network you trust.",
        DefaultValueFactory = _ => "127.0.0.1",
    };

    public static Command Create() => new ViewCommand().Build();

    private Command Build()
    {
        var command = new Command(
            "view",
            "Look at the results in the browser: a local web app with every item (sortable, worst first), deep zoom "
                + "over each image or slide with its maps as overlays (tumour evidence on one scale for the run by "
                + "default), the ground-truth outline, per-patch values on click, GeoJSON and PNG downloads. Stops "
                + "with Ctrl-C.\nExamples: amil view runs/synthetic-20261202-101500 · amil view runs/wsi · amil view "
                + "slides/ --model runs/wsi/model.zip"
        )
        {
            _path,
            _model,
            _tumour,
            _gradCam,
            _port,
            _host,
        };
        var datasetOptions = new DatasetOptionGroup(command, _model);
        var scoring = new ScoringOptionGroup(command);
        command.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                {
                    var stop = CommandRunner.Interrupt; // ours from the start: a signal while scoring stops the viewer
                    var options = scoring.Read(r);
                    var request = new ViewRequest(
                        r.GetValue(_path),
                        r.GetValue(_model),
                        datasetOptions.Given(r) ? datasetOptions.Read(r) : null,
                        options.FeatureCache,
                        r.GetValue(_tumour) is { Length: > 0 } t ? t : null,
                        r.GetValue(_gradCam)
                    )
                    {
                        Device = options.Device,
                    };
                    Serve(request, Listening(r), stop);
                }
            )
        );
        return command;
    }

    /// <summary>The address and port to listen on, checked; a warning when others can reach it.</summary>
    private ViewerOptions Listening(ParseResult r)
    {
        int port = r.GetValue(_port);
        if (port is < 0 or > 65535)
            throw new ArgumentException($"--port must be 0 to 65535 (got {port}).");
        string listen = r.GetValue(_host)!;
        if (!IPAddress.TryParse(listen, out var address) && listen != "localhost")
            throw new ArgumentException($"--host must be an IP address such as 127.0.0.1 (got '{listen}').");
        if (address is not null && !IPAddress.IsLoopback(address))
            Console.Error.WriteLine(
                $"warning: listening on {listen}: anyone who can reach this machine can see these "
                    + "images and slides (the viewer has no login)."
            );
        return new ViewerOptions(listen, port);
    }

    private static void Serve(ViewRequest request, ViewerOptions listening, CancellationToken stop)
    {
        var server = ViewerServer.StartAsync(request, listening, CommandRunner.Log).GetAwaiter().GetResult();
        Console.WriteLine($"Viewing {server.Items} item(s) at {server.Address} (Ctrl-C to stop)");
        server.RunUntilAsync(stop).GetAwaiter().GetResult();
        server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Console.WriteLine("Viewer stopped.");
    }
}
