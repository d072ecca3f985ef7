using System.CommandLine;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Experiments;

namespace Amil.MLNet.Runner;

internal static class DatasetsCommand
{
    public static Command Create()
    {
        var datasets = CommonOptions.DatasetsFile();
        var list = new Command("list", "List datasets.json entries: layout, root, found/missing, images per class.\nExample: amil datasets list --datasets ~/my/datasets.json") { datasets };
        list.SetAction(r => CommandRunner.Run(r, () =>
        {
            var selection = new DatasetSelection(DatasetsFile: r.GetValue(datasets));
            var registry = DatasetRegistry.Load(selection.FindDatasetsFile());
            foreach (var entry in registry.Entries.Values)
            {
                var root = registry.ResolveRoot(entry);
                bool found = Directory.Exists(root);
                string counts = "";
                if (found)
                {
                    try { counts = string.Join(", ", DatasetReader.Read(entry, root).GroupBy(x => x.Label).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")); }
                    catch (DatasetException e) { counts = "unreadable: " + e.Message; }
                }
                else if (entry.Layout == "synthetic") counts = "generated on first use";
                Console.WriteLine($"{entry.Name}{(entry.Name == registry.DefaultName ? " (default)" : "")}  {entry.Layout}  {root}  {(found ? "found" : "missing")}  {counts}");
            }
        }));

        var name = new Argument<string>("name") { Description = "Dataset name in datasets.json." };
        var check = new Command("check", "Read every image header of a dataset; report unusable files, classes, patients, magnifications, mask coverage and split sizes.\nExample: amil datasets check synthetic")
        { name, datasets };
        check.SetAction(r => CommandRunner.Run(r, () =>
        {
            var report = LiveProgress.Count("checking images", (log, progress) => DatasetCheck.Run(new DatasetSelection(r.GetValue(name), r.GetValue(datasets)), log, progress));
            Console.WriteLine($"{report.Name}: {report.Images} images under {report.Root}");
            foreach (var (c, n) in report.Classes) Console.WriteLine($"  class {c}: {n}");
            if (report.Patients > 0) Console.WriteLine($"  patients: {report.Patients}");
            foreach (var (m, n) in report.Magnifications) Console.WriteLine($"  magnification {m}: {n}");
            Console.WriteLine($"  masks: {report.Masks} of {report.Images} images{(report.Masks == 0 ? " (no masks/ folder: localization cannot be measured)" : "")}");
            Console.WriteLine($"  split: train {report.Split.Train.Count}, validation {report.Split.Validation.Count}, test {report.Split.Test.Count}");
            foreach (var p in report.Problems) Console.WriteLine($"  unusable: {p.Path}: {p.Reason}");
            if (report.Problems.Count > 0)
                throw new DatasetException($"{report.Problems.Count} unusable file(s) in '{report.Name}'; fix or remove them, or train with --on-bad-image skip.");
        }));

        return new Command("datasets", "Inspect the datasets in datasets.json.") { list, check };
    }
}
