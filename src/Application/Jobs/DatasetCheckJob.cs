using Amil.MLNet.Data.Datasets;

namespace Amil.MLNet.Application.Jobs;

/// <summary>The `datasets check` job: every image decoded in full (truncated files are found too), or every slide
/// opened and its annotations parsed, with classes, patients, magnifications, masks, split sizes and each class's
/// count in every part of the split.</summary>
public static class DatasetCheckJob
{
    public sealed record Report(
        string Name,
        string Root,
        int Images,
        IReadOnlyList<(string Class, int Count)> Classes,
        int Patients,
        IReadOnlyList<(string Magnification, int Count)> Magnifications,
        int Masks,
        DatasetSplit Split,
        IReadOnlyList<SkippedImage> Problems,
        string Unit = "images"
    )
    {
        /// <summary>Images per class in train, validation and test.</summary>
        public IReadOnlyList<(string Class, int Train, int Validation, int Test)> ClassesBySplit =>
            SplitCoverage.Counts(Split, Classes.Select(c => c.Class));

        /// <summary>CAMELYON17-style node datasets (classes negative, itc, micro, macro, patients known): how many
        /// patients have each pN stage by their nodes' labels; empty otherwise.</summary>
        public IReadOnlyList<(string Stage, int Patients)> Stages { get; init; } = [];

        /// <summary>Classes too small to reach every part of the split.</summary>
        public IReadOnlyList<string> Warnings => SplitCoverage.Warnings(Split, Classes.Select(c => c.Class));
    }

    public static Report Run(DatasetSelection selection, Action<string> log, Action<int, int>? progress = null)
    {
        var (entry, root) = selection.Resolve();
        var problems = new List<SkippedImage>();
        IReadOnlyList<ImageRecord> records;
        if (DatasetReader.IsSlides(entry))
        {
            records = DatasetReader.ReadSlides(entry, root, log);
            SlideScreening.Screen(records, problems, progress);
        }
        else
        {
            records = DatasetReader.Read(entry, root, log, problems);
            // Sizes are checked against the dataset's own patch settings: an image too small for its crop is a
            // problem here too.
            ImageScreening.Screen(
                records,
                DataPreparation.BaggingOptions(entry.Patches, new TrainSettings()),
                BadImagePolicy.Skip,
                problems,
                fullDecode: true,
                progress
            );
        }
        return new Report(
            entry.Name,
            root,
            records.Count,
            [
                .. records
                    .GroupBy(x => x.Label)
                    .OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => (g.Key, g.Count())),
            ],
            records.Select(x => x.Patient).Where(p => p is not null).Distinct().Count(),
            [
                .. records
                    .Where(x => x.Magnification is not null)
                    .GroupBy(x => x.Magnification!)
                    .OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => (g.Key, g.Count())),
            ],
            records.Count(r => r.MaskPath is not null),
            DatasetSplit.For(records, entry),
            problems,
            DatasetReader.IsSlides(entry) ? "slides" : "images"
        )
        {
            Stages = StageCounts(records),
        };
    }

    private static List<(string, int)> StageCounts(IReadOnlyList<ImageRecord> records)
    {
        if (
            !Maps.Metrics.NodeStaging.IsNodeClassification(records.Select(r => r.Label).Distinct())
            || records.Any(r => r.Patient is null)
        )
            return [];
        var stages = Maps.Metrics.NodeStaging.ByPatient(records.Select(r => (r.Patient!, r.Label))).Values.ToList();
        return [.. Maps.Metrics.NodeStaging.Stages.Select(s => (s, stages.Count(x => x == s)))];
    }
}
