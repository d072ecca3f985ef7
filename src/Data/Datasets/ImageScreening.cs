using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Data.Datasets;

/// <summary>Checks a dataset's images before a job starts, so a bad file stops the job at once (naming every such file)
/// or, with <see cref="BadImagePolicy.Skip"/>, is left out and counted instead of failing an epoch half-way.</summary>
public static class ImageScreening
{
    private const int ListedProblems = 10;

    /// <summary>Returns the usable records. Error policy: throws listing the bad files. Skip policy: appends them to <paramref name="skipped"/>.
    /// By default the error policy reads headers only (fast; a truncated file still stops the job with its name when it is reached)
    /// and the skip policy decodes every image fully, so truncated files are caught before training too.</summary>
    public static IReadOnlyList<ImageRecord> Screen(IReadOnlyList<ImageRecord> records, PatchBaggingOptions? bagging, BadImagePolicy policy,
                                                    ICollection<SkippedImage> skipped, bool? fullDecode = null, Action<int, int>? progress = null)
    {
        bool decode = fullDecode ?? policy == BadImagePolicy.Skip;
        var problems = new string?[records.Count];
        int done = 0;
        Parallel.For(0, records.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            problems[i] = Problem(records[i].Path, bagging, decode);
            progress?.Invoke(Interlocked.Increment(ref done), records.Count);
        });
        var bad = Enumerable.Range(0, records.Count).Where(i => problems[i] is not null).ToList();
        if (bad.Count == 0) return records;
        if (policy == BadImagePolicy.Error)
        {
            var listed = string.Join(Environment.NewLine, bad.Take(ListedProblems).Select(i => $"  {records[i].Path}: {problems[i]}"));
            string more = bad.Count > ListedProblems ? $"{Environment.NewLine}  … and {bad.Count - ListedProblems} more" : "";
            throw new DatasetException($"{bad.Count} of {records.Count} images cannot be used:{Environment.NewLine}{listed}{more}{Environment.NewLine}" +
                                       "Fix or remove them, or pass --on-bad-image skip to leave them out (they are counted in metrics.json).");
        }
        foreach (int i in bad) skipped.Add(new SkippedImage(records[i].Path, problems[i]!));
        return records.Where((_, i) => problems[i] is null).ToList();
    }

    /// <summary>Why this file cannot be used, or null when it can.</summary>
    public static string? Problem(string path, PatchBaggingOptions? bagging, bool fullDecode)
    {
        try
        {
            var (width, height) = fullDecode ? Size(RgbImageReader.Read(path)) : RgbImageReader.ReadSize(path);
            return bagging is null ? null : PatchCutter.SizeProblem(width, height, bagging);
        }
        catch (ImageReadException e) { return Reason(e); }
        catch (IOException e) { return e.Message; }
        catch (UnauthorizedAccessException e) { return e.Message; }
    }

    private static (int, int) Size(RgbImage image) => (image.Width, image.Height);

    private static string Reason(ImageReadException e) => e.Message.StartsWith(e.Path + ": ", StringComparison.Ordinal) ? e.Message[(e.Path.Length + 2)..] : e.Message;
}
