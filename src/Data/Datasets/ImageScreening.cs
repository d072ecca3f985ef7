using Amil.MLNet.Transforms.Bagging;
using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Data.Datasets;

/// <summary>Checks a dataset's images before a job starts, so a bad file stops the job at once (naming every such file)
/// or, with <see cref="BadImagePolicy.Skip"/>, is left out and counted instead of failing an epoch half-way.</summary>
public static class ImageScreening
{
    private const int ListedProblems = 10;

    /// <summary>Returns the usable records. Error policy: throws listing the bad files. Skip policy: appends them to
    /// <paramref name="skipped"/>. Every image is decoded fully by default, so a truncated file is caught here, before
    /// training, under either policy.</summary>
    public static IReadOnlyList<ImageRecord> Screen(
        IReadOnlyList<ImageRecord> records,
        PatchBaggingOptions? bagging,
        BadImagePolicy policy,
        ICollection<SkippedImage> skipped,
        bool fullDecode = true,
        Action<int, int>? progress = null
    ) => ScreenWithSizes(records, bagging, policy, skipped, fullDecode, progress).Select(s => s.Record).ToList();

    /// <summary><see cref="Screen"/>, returning each usable image's width and height (before any resize) too.</summary>
    public static IReadOnlyList<ScreenedImage> ScreenWithSizes(
        IReadOnlyList<ImageRecord> records,
        PatchBaggingOptions? bagging,
        BadImagePolicy policy,
        ICollection<SkippedImage> skipped,
        bool fullDecode = true,
        Action<int, int>? progress = null
    )
    {
        var results = new (string? Problem, int Width, int Height)[records.Count];
        int done = 0;
        Parallel.For(
            0,
            records.Count,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            i =>
            {
                results[i] = Inspect(records[i].Path, bagging, fullDecode);
                progress?.Invoke(Interlocked.Increment(ref done), records.Count);
            }
        );
        var bad = Enumerable.Range(0, records.Count).Where(i => results[i].Problem is not null).ToList();
        if (bad.Count > 0 && policy == BadImagePolicy.Error)
        {
            var listed = string.Join(
                Environment.NewLine,
                bad.Take(ListedProblems).Select(i => $"  {records[i].Path}: {results[i].Problem}")
            );
            string more =
                bad.Count > ListedProblems ? $"{Environment.NewLine}  … and {bad.Count - ListedProblems} more" : "";
            throw new DatasetException(
                $"{bad.Count} of {records.Count} images cannot be "
                    + $"used:{Environment.NewLine}{listed}{more}{Environment.NewLine}"
                    + "Fix or remove them, or pass --on-bad-image skip to leave them out (they are counted in "
                    + "metrics.json)."
            );
        }
        foreach (int i in bad)
            skipped.Add(new SkippedImage(records[i].Path, results[i].Problem!));
        return Enumerable
            .Range(0, records.Count)
            .Where(i => results[i].Problem is null)
            .Select(i => new ScreenedImage(records[i], results[i].Width, results[i].Height))
            .ToList();
    }

    /// <summary>Why this file cannot be used, or null when it can.</summary>
    public static string? Problem(string path, PatchBaggingOptions? bagging, bool fullDecode) =>
        Inspect(path, bagging, fullDecode).Problem;

    private static (string? Problem, int Width, int Height) Inspect(
        string path,
        PatchBaggingOptions? bagging,
        bool fullDecode
    )
    {
        try
        {
            var (width, height) = fullDecode ? Size(RgbImageReader.Read(path)) : RgbImageReader.ReadSize(path);
            return (bagging is null ? null : PatchCutter.SizeProblem(width, height, bagging), width, height);
        }
        catch (ImageReadException e)
        {
            return (Reason(e), 0, 0);
        }
        catch (IOException e)
        {
            return (e.Message, 0, 0);
        }
        catch (UnauthorizedAccessException e)
        {
            return (e.Message, 0, 0);
        }
    }

    private static (int, int) Size(RgbImage image) => (image.Width, image.Height);

    private static string Reason(ImageReadException e) =>
        e.Message.StartsWith(e.Path + ": ", StringComparison.Ordinal) ? e.Message[(e.Path.Length + 2)..] : e.Message;
}

/// <summary>A usable image and its size in pixels as stored (before any resize).</summary>
public sealed record ScreenedImage(ImageRecord Record, int Width, int Height);
