namespace Amil.MLNet.Slides;

/// <summary>One annotated region: its group or class name and its rings (outer first, then holes), in level-0
/// pixels.</summary>
internal sealed record AnnotationRegion(string Name, (double X, double Y)[][] Rings);

/// <summary>An annotation file's regions: tumour, and the areas to leave out of it (CAMELYON16's <c>_2</c>).
/// <paramref name="Classified"/>: the file names each region's class (ImageScope), so one without tumour regions says
/// "no tumour" rather than "nothing exported". <paramref name="Other"/>: regions annotated but not tumour (ImageScope's
/// benign and normal ones): not in the tumour mask, but annotated tissue all the same.</summary>
internal sealed record AnnotationRegions(
    IReadOnlyList<AnnotationRegion> Tumour,
    IReadOnlyList<AnnotationRegion> Exclusion,
    bool Classified = false,
    IReadOnlyList<AnnotationRegion>? Other = null
);
