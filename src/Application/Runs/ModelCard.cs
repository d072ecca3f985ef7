using System.Globalization;
using System.Text;
using System.Text.Json;
using Amil.MLNet.Transforms;

namespace Amil.MLNet.Application.Runs;

/// <summary>
/// model_card.md of a run folder: what the model is (network, pooling, encoder with its hash), what it was trained
/// and tested on, its figures with their intervals, calibration and localization, how to reproduce it, and what it is
/// not for. Everything comes from the run's own files (config.json, metrics.json, localization.json), so a card always
/// agrees with them; `amil report` writes it again.
/// </summary>
public static class ModelCard
{
    public const string FileName = "model_card.md";

    /// <summary>Writes runDir/model_card.md; returns its path.</summary>
    public static string Write(string runDir)
    {
        var metrics = RunReport.ReadJson<RunMetrics>(Path.Combine(runDir, RunFiles.MetricsFile));
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, RunFiles.ConfigFile)));
        var c = config.RootElement;
        string unit = metrics.Unit;
        var card = new StringBuilder();
        card.AppendLine($"# Model card: {Path.GetFileName(Path.GetFullPath(runDir))}").AppendLine();
        card.AppendLine("Written by Amil.MLNet from this run's config.json and metrics.json.").AppendLine();

        card.AppendLine("## Model").AppendLine();
        card.AppendLine($"- Network: {Text(c, "network")}, pooling {Text(c, "pooling")}.");
        if (c.TryGetProperty("encoder", out var encoder) && encoder.ValueKind == JsonValueKind.Object)
            card.AppendLine(
                $"- Frozen encoder: {Text(encoder, "name")}"
                    + (encoder.TryGetProperty("sha256", out var sha) ? $" (SHA-256 {sha.GetString()})" : "")
                    + "."
            );
        card.AppendLine($"- Classes: {string.Join(", ", metrics.Classes)}.");
        if (metrics.Calibration is { } calibration)
            card.AppendLine(
                FormattableString.Invariant($"- Temperature scaling: T = {calibration.Temperature:G4}, fitted on ")
                    + $"{calibration.FittedOn}."
            );
        card.AppendLine();

        card.AppendLine("## Data").AppendLine();
        card.AppendLine($"- Dataset: {Text(c, "dataset")} ({Text(c, "layout")}), data hash {Text(c, "data_hash")}.");
        if (metrics.Test is { } test)
            card.AppendLine($"- Test split: {test.Images} {unit}.");
        if (metrics.Validation is { } validation)
            card.AppendLine($"- Validation split: {validation.Images} {unit}.");
        card.AppendLine();

        AppendResults(card, metrics, unit);
        AppendLocalization(card, metrics, runDir);

        card.AppendLine("## Training and reproduction").AppendLine();
        card.AppendLine(
            $"- {Text(c, "epochs")} epochs at most (best epoch {metrics.BestEpoch}, {metrics.EpochsRun} run), "
                + $"seed {Text(c, "seed")}, learning rate {Text(c, "learning_rate")}, device {Text(c, "device_used")}."
        );
        if (c.TryGetProperty("versions", out var versions) && versions.ValueKind == JsonValueKind.Object)
            card.AppendLine(
                "- Versions: "
                    + string.Join(", ", versions.EnumerateObject().Select(p => $"{p.Name} {Plain(p.Value)}"))
                    + "."
            );
        card.AppendLine(
            "- Reproduce: train again with config.json's `settings` on data with the same data hash; the seed fixes "
                + "the split, the initial weights and the order of the bags."
        );
        card.AppendLine();

        card.AppendLine("## Intended use and limits").AppendLine();
        card.AppendLine(
            "- Research use. Not a medical device; no output of this model is a diagnosis. A pathologist decides."
        );
        card.AppendLine(
            $"- The figures hold for {unit} like the test split's (same source, scanner, stain and preparation). "
                + "On other sites, validate again (`amil evaluate` on their data) before relying on it."
        );
        card.AppendLine(
            "- The intervals are 95 % percentile bootstrap intervals over patients (or items where patients are "
                + "unknown); a small test split gives wide intervals, and they should be read as such."
        );
        AtomicFile.WriteText(Path.Combine(runDir, FileName), card.ToString());
        return Path.Combine(runDir, FileName);
    }

    private static void AppendResults(StringBuilder card, RunMetrics metrics, string unit)
    {
        if (metrics.Test is not { } t)
            return;
        AppendFigures(
            card,
            $"## Results on the test split ({t.Images} {unit})",
            "metric",
            [
                ("accuracy", "accuracy", t.Accuracy),
                ("balanced accuracy", "macro_accuracy", t.MacroAccuracy),
                ("macro-F1", "macro_f1", t.MacroF1),
                ("AUC", "auc", t.Auc),
                ("log-loss", "log_loss", t.LogLoss),
                ("ECE", "ece", t.Ece),
                ("Brier", "brier", t.Brier),
                ("patient accuracy", "patient_accuracy", t.PatientAccuracy),
            ],
            t.Intervals
        );
        if (t.Staging is { } staging)
            AppendFigures(
                card,
                $"## Patient pN stage from the predicted nodes ({staging.Patients} patients, CAMELYON17's rules)",
                "measure",
                [("quadratic-weighted kappa", "kappa", staging.Kappa), ("agreement", "agreement", staging.Agreement)],
                staging.Intervals
            );
    }

    /// <summary>A section of figures, one row each with its interval where there is one; undefined ones left
    /// out.</summary>
    private static void AppendFigures(
        StringBuilder card,
        string title,
        string what,
        IEnumerable<(string Label, string Name, double? Value)> rows,
        IReadOnlyDictionary<string, double[]>? intervals
    )
    {
        card.AppendLine(title).AppendLine();
        card.AppendLine($"| {what} | value [95 % interval] |").AppendLine("|---|---|");
        foreach (var (label, name, value) in rows)
            if (value is { } v)
                card.AppendLine(
                    $"| {label} | {Maps.Metrics.Bootstrap.WithInterval(v, intervals?.GetValueOrDefault(name))} |"
                );
        card.AppendLine();
    }

    private static void AppendLocalization(StringBuilder card, RunMetrics metrics, string runDir)
    {
        if (metrics.Localization?.Scores is { } s)
            AppendFigures(
                card,
                "## Localization against masks",
                "measure",
                [
                    ("patch AUROC", "instance_auroc", s.InstanceAuroc),
                    ("patch AP", "instance_ap", s.InstanceAp),
                    ("pixel AUROC", "pixel_auroc", s.PixelAuroc),
                    ("best Dice", "best_dice", s.BestDice),
                    ("pointing game", "pointing_game", s.PointingGame),
                ],
                s.Intervals
            );
        var json = Path.Combine(runDir, RunFiles.LocalizationFile);
        if (!File.Exists(json))
            return;
        var slides = RunReport.ReadJson<SlideLocalization.Report>(json);
        card.AppendLine("## Localization against masks (slides)").AppendLine();
        card.AppendLine("| map | tile AUROC | tile AP | FROC |").AppendLine("|---|---|---|---|");
        foreach (var m in slides.Methods)
        {
            string Cell(string name, double? value) =>
                Maps.Metrics.Bootstrap.WithInterval(value, m.Intervals.GetValueOrDefault(name));
            card.AppendLine(
                $"| {m.Map} | {Cell("instance_auroc", m.InstanceAuroc)} | {Cell("instance_ap", m.InstanceAp)} | "
                    + $"{Cell("froc", m.Froc)} |"
            );
        }
        card.AppendLine();
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? Plain(value) : "–";

    private static string Plain(JsonElement value) =>
        value.ValueKind switch
        {
            JsonValueKind.String => value.GetString() ?? "",
            JsonValueKind.Number => value.GetDouble().ToString("G6", CultureInfo.InvariantCulture),
            JsonValueKind.Null => "–",
            _ => value.GetRawText(),
        };
}
