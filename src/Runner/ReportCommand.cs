using System.CommandLine;
using Amil.MLNet.Application.Runs;

namespace Amil.MLNet.Runner;

internal static class ReportCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run")
        {
            Description = "A run folder written by train (runs/<name>).",
            Required = true,
        };
        var gradCam = new Option<string?>("--gradcam-model")
        {
            Description =
                "CNN baseline model.zip (train --baseline cnn): adds Grad-CAM to the gallery and the localization "
                + "table.",
        };
        var command = new Command(
            "report",
            "(Re)write runs/<name>/report.html (training curves, ROC, confusion matrix, metrics, localization and a "
                + "heatmap gallery; self-contained) and model_card.md.\n"
                + "Example: amil report --run runs/amil --gradcam-model runs/cnn/model.zip"
        )
        {
            run,
            gradCam,
        };
        var scoring = new ScoringOptionGroup(command, slides: false);
        command.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                {
                    var written = RunReport.Write(
                        r.GetValue(run)!,
                        r.GetValue(gradCam),
                        CommandRunner.Log,
                        scoring.Read(r)
                    );
                    Console.WriteLine($"Wrote {written}");
                    Console.WriteLine($"Wrote {ModelCard.Write(r.GetValue(run)!)}");
                }
            )
        );
        return command;
    }
}
