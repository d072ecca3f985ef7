using System.Runtime.ExceptionServices;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Amil.MLNet.Trainers.Scoring;

/// <summary>
/// Passes a data view through unchanged, except that ML.NET's parallel-cursor wrapper ("Splitter/consolidator worker
/// encountered exception") is taken off: the caller sees the original exception, with its type, message and stack.
/// </summary>
internal sealed class UnwrappingDataView(IDataView inner) : IDataView
{
    public bool CanShuffle => inner.CanShuffle;
    public DataViewSchema Schema => inner.Schema;

    public long? GetRowCount() => inner.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        Guard(() => new Cursor(inner.GetRowCursor(columnsNeeded, rand)));

    public DataViewRowCursor[] GetRowCursorSet(
        IEnumerable<DataViewSchema.Column> columnsNeeded,
        int n,
        Random? rand = null
    ) =>
        Guard(() =>
            inner.GetRowCursorSet(columnsNeeded, n, rand).Select(c => (DataViewRowCursor)new Cursor(c)).ToArray()
        );

    /// <summary>The exception ML.NET wrapped, or <paramref name="e"/> itself.</summary>
    public static Exception Unwrap(Exception e)
    {
        while (
            e.InnerException is { } cause
            && e.Message.Contains("worker encountered exception", StringComparison.Ordinal)
        )
            e = cause;
        return e;
    }

    public static T Guard<T>(Func<T> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (Unwrap(e) != e)
        {
            ExceptionDispatchInfo.Capture(Unwrap(e)).Throw();
            throw; // unreachable
        }
    }

    private sealed class Cursor(DataViewRowCursor inner) : DataViewRowCursor
    {
        public override DataViewSchema Schema => inner.Schema;
        public override long Position => inner.Position;
        public override long Batch => inner.Batch;

        public override bool MoveNext() => Guard(inner.MoveNext);

        public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            var getter = inner.GetGetter<TValue>(column);
            return (ref TValue value) =>
            {
                try
                {
                    getter(ref value);
                }
                catch (Exception e) when (Unwrap(e) != e)
                {
                    ExceptionDispatchInfo.Capture(Unwrap(e)).Throw();
                }
            };
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
