using System.CommandLine;
using Amil.MLNet.Application;
using Amil.MLNet.Data.Datasets;

namespace Amil.MLNet.Runner;

/// <summary><c>amil datasets list</c> and <c>check</c>: what datasets.json names, and whether a dataset's files are
/// usable.</summary>
internal static class DatasetsCommand
{
    public static Command Create()
    {
        var datasets = CommonOptions.DatasetsFile();
        return new Command("datasets", "Inspect the datasets in datasets.json.") { List(datasets), Check(datasets) };
    }

    private static Command List(Option<string?> datasets)
    {
        var list = new Command(
            "list",
            "List datasets.json entries: layout, root, found/missing, images per class.\nExample: amil datasets "
                + "list --datasets ~/my/datasets.json"
        )
        {
            datasets,
        };
        list.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                {
                    foreach (var row in DatasetListJob.Run(r.GetValue(datasets)))
                        Console.WriteLine(
                            $"{row.Name}{(row.IsDefault ? " (default)" : "")}  {row.Layout}  {row.Root}  "
                                + $"{(row.Found ? "found" : "missing")}  {row.Counts}"
                        );
                }
            )
        );
        return list;
    }

    private static Command Check(Option<string?> datasets)
    {
        var name = new Argument<string?>("name")
        {
            Description = "Dataset name in datasets.json (default: the file's \"default\").",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var data = CommonOptions.Data();
        var layout = CommonOptions.Layout();
        var check = new Command(
            "check",
            "Decode every image of a dataset; report unusable files (truncated ones too), classes, patients, "
                + "magnifications, "
                + "mask coverage, split sizes and each class's count per split.\n"
                + "Example: amil datasets check synthetic\n         amil datasets check --data ~/imgs --layout "
                + "image-folder"
        )
        {
            name,
            datasets,
            data,
            layout,
        };
        check.SetAction(r =>
            CommandRunner.Run(
                r,
                () =>
                {
                    var selection = new DatasetSelection(
                        r.GetValue(name),
                        r.GetValue(datasets),
                        r.GetValue(data),
                        r.GetValue(layout)
                    );
                    var report = LiveProgress.Count(
                        "checking files",
                        (log, progress) => DatasetCheckJob.Run(selection, log, progress)
                    );
                    Print(report);
                    if (report.Problems.Count > 0)
                        throw new DatasetException(
                            $"{report.Problems.Count} unusable file(s) in '{report.Name}'; fix or remove them, or "
                                + "train with --on-bad-image skip."
                        );
                }
            )
        );
        return check;
    }

    private static void Print(DatasetCheckJob.Report report)
    {
        Console.WriteLine($"{report.Name}: {report.Images} {report.Unit} under {report.Root}");
        foreach (var (c, n) in report.Classes)
            Console.WriteLine($"  class {c}: {n}");
        if (report.Patients > 0)
            Console.WriteLine($"  patients: {report.Patients}");
        if (report.Stages.Count > 0)
            Console.WriteLine(
                "  patients by pN stage: " + string.Join(", ", report.Stages.Select(s => $"{s.Stage} {s.Patients}"))
            );
        foreach (var (m, n) in report.Magnifications)
            Console.WriteLine($"  magnification {m}: {n}");
        Console.WriteLine(
            $"  masks: {report.Masks} of {report.Images} {report.Unit}"
                + (report.Masks == 0 ? " (no masks or annotations: localization cannot be measured)" : "")
        );
        Console.WriteLine(
            $"  split: train {report.Split.Train.Count}, validation {report.Split.Validation.Count}, "
                + $"test {report.Split.Test.Count}"
        );
        foreach (var (c, train, validation, test) in report.ClassesBySplit)
            Console.WriteLine($"    {c}: train {train}, validation {validation}, test {test}");
        foreach (var warning in report.Warnings)
            Console.WriteLine($"  {warning}");
        foreach (var p in report.Problems)
            Console.WriteLine($"  unusable: {p.Path}: {p.Reason}");
    }
}
