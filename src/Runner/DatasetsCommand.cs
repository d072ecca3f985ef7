using System.CommandLine;
using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Experiments;
using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Runner;

internal static class DatasetsCommand
{
    public static Command Create()
    {
        var datasets = CommonOptions.DatasetsFile();
        var list = new Command("list", "List datasets.json entries: layout, root, found/missing, images per class.") { datasets };
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
        var check = new Command("check", "Read every image header of a dataset; report unreadable files, classes, patients, magnifications and split sizes.\nExample: amil datasets check synthetic")
        { name, datasets };
        check.SetAction(r => CommandRunner.Run(r, () =>
        {
            var (entry, root) = new DatasetSelection(r.GetValue(name), r.GetValue(datasets)).Resolve();
            var records = DatasetReader.Read(entry, root, CommandRunner.Log);
            var bad = new List<string>();
            foreach (var record in records)
            {
                try { using var codec = SkiaSharp.SKCodec.Create(record.Path); if (codec is null) bad.Add($"{record.Path}: not a readable image"); }
                catch (Exception e) { bad.Add($"{record.Path}: {e.Message}"); }
            }
            Console.WriteLine($"{entry.Name}: {records.Count} images under {root}");
            foreach (var g in records.GroupBy(x => x.Label).OrderBy(g => g.Key)) Console.WriteLine($"  class {g.Key}: {g.Count()}");
            int patients = records.Select(x => x.Patient).Where(p => p is not null).Distinct().Count();
            if (patients > 0) Console.WriteLine($"  patients: {patients}");
            foreach (var g in records.Where(x => x.Magnification is not null).GroupBy(x => x.Magnification).OrderBy(g => g.Key)) Console.WriteLine($"  magnification {g.Key}: {g.Count()}");
            var split = DatasetSplit.For(records, entry);
            Console.WriteLine($"  split: train {split.Train.Count}, validation {split.Validation.Count}, test {split.Test.Count}");
            foreach (var b in bad) Console.WriteLine($"  unreadable: {b}");
            if (bad.Count > 0) throw new DatasetException($"{bad.Count} unreadable image(s) in '{entry.Name}'; fix or remove them.");
        }));

        return new Command("datasets", "Inspect the datasets in datasets.json.") { list, check };
    }
}
