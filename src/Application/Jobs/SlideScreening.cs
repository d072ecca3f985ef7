using Amil.MLNet.Data.Datasets;
using Amil.MLNet.Slides;
using Amil.MLNet.Transforms.Images;

namespace Amil.MLNet.Application.Jobs;

/// <summary>`datasets check` on whole slides: each slide opened (its pyramid and its scale read, not its pixels) and
/// each annotation file parsed, so a cohort's unreadable slides, slides without a scale and broken annotations are
/// listed before a day of feature extraction.</summary>
internal static class SlideScreening
{
    public static void Screen(
        IReadOnlyList<ImageRecord> records,
        List<SkippedImage> problems,
        Action<int, int>? progress
    )
    {
        for (int i = 0; i < records.Count; i++)
        {
            var record = records[i];
            if (Problem(record) is { } problem)
                problems.Add(new SkippedImage(record.Path, problem));
            progress?.Invoke(i + 1, records.Count);
        }
    }

    private static string? Problem(ImageRecord record)
    {
        try
        {
            using var slide = SlideImage.Open(record.Path);
            if (slide.Properties.MicronsPerPixel is null && slide.Properties.ObjectivePower is null)
                return "the slide says neither its µm per pixel nor its objective power, so it cannot be tiled at a "
                    + $"scale; give its scale (µm per level-0 pixel) in a {SlideScaleTable.FileName} beside it or in "
                    + "a folder up to three above (columns slide,mpp; docs/slides.md).";
            if (record.MaskPath is { } mask && AnnotationMask.IsAnnotationFile(mask))
                AnnotationMask.Rasterize(mask, slide.Width, slide.Height, longSide: 256);
            return null;
        }
        catch (Exception e)
            when (e is IOException or InvalidDataException or ImageReadException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }
}
