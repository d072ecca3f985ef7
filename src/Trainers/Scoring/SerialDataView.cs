using Microsoft.ML;

namespace Amil.MLNet.Trainers.Scoring;

/// <summary>
/// A data view read with one cursor on the calling thread. ML.NET reads a costly chain on pooled worker threads that
/// it reuses without the caller's execution context, so code on them sees another caller's async locals: a slide
/// model's TileSlides would read and write another job's feature cache (<c>SlideFeatures.CacheFolder</c>) and run the
/// network on another job's device. Read serially, every step runs where the caller set them.
/// </summary>
internal sealed class SerialDataView(IDataView inner) : IDataView
{
    public bool CanShuffle => inner.CanShuffle;
    public DataViewSchema Schema => inner.Schema;

    public long? GetRowCount() => inner.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        inner.GetRowCursorSet(columnsNeeded, 1, rand)[0];

    public DataViewRowCursor[] GetRowCursorSet(
        IEnumerable<DataViewSchema.Column> columnsNeeded,
        int n,
        Random? rand = null
    ) => [GetRowCursor(columnsNeeded, rand)];
}
