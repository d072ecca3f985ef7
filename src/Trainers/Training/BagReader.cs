using System.Collections.Concurrent;
using Amil.MLNet.Transforms.Bagging;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Amil.MLNet.Trainers.Training;

/// <summary>
/// Streams labelled bags out of an <see cref="IDataView"/>: images are decoded lazily, in a shuffled order when the
/// data allows it, on a background thread that stays a few bags ahead of the network. Nothing is held for the epoch.
/// </summary>
internal sealed class BagReader
{
    private readonly IDataView _data;
    private readonly DataViewSchema.Column _bag,
        _layout,
        _label;
    private readonly DataViewSchema.Column? _group;

    public BagReader(IDataView data, string bagColumn, string labelColumn, string? groupColumn)
    {
        _data = data;
        _bag = Require(data.Schema, bagColumn, "the bag column (add ml.Transforms.BagPatches before the trainer)");
        _layout = Require(
            data.Schema,
            PatchBaggingEstimator.LayoutColumnName(bagColumn),
            "the bag layout column written by ml.Transforms.BagPatches"
        );
        _label = Require(data.Schema, labelColumn, "the label column");
        _group = groupColumn is null ? null : Require(data.Schema, groupColumn, "the group column");
        if (_label.Type is not KeyDataViewType key)
            throw new ArgumentException(
                $"Label column '{labelColumn}' must be a key type, but it is {_label.Type}; add "
                    + $"ml.Transforms.Conversion.MapValueToKey(\"{labelColumn}\") before the trainer."
            );
        if (key.Count < 2 || key.Count > (ulong)Scoring.AttentionMilScoringMappingFactory.MaxClasses)
            throw new ArgumentException(
                $"Label column '{labelColumn}' has {key.Count} classes; Attention-MIL supports 2 to "
                    + $"{Scoring.AttentionMilScoringMappingFactory.MaxClasses}."
            );
        if (
            _bag.Type is not VectorDataViewType { ItemType: NumberDataViewType } bagType
            || bagType.ItemType != NumberDataViewType.Single
        )
            throw new ArgumentException(
                $"Bag column '{bagColumn}' must be a float vector (from ml.Transforms.BagPatches), but it is "
                    + $"{_bag.Type}."
            );
        if (_group is { } g && g.Type != TextDataViewType.Instance)
            throw new ArgumentException($"Group column '{groupColumn}' must be text, but it is {g.Type}.");
        ClassCount = (int)key.Count;
        ClassNames = ReadClassNames(_label, ClassCount);
    }

    public int ClassCount { get; }
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Every row's id, class and group; touches only those columns, so no image is decoded.</summary>
    public List<RowInfo> ListRows()
    {
        var rows = new List<RowInfo>();
        var columns = _group is { } g ? new[] { _label, g } : new[] { _label };
        using var cursor = SerialCursor(_data, columns, null);
        var id = cursor.GetIdGetter();
        var label = cursor.GetGetter<uint>(_label);
        var group = _group is { } gc ? cursor.GetGetter<ReadOnlyMemory<char>>(gc) : null;
        DataViewRowId rowId = default;
        uint key = 0;
        ReadOnlyMemory<char> text = default;
        while (cursor.MoveNext())
        {
            id(ref rowId);
            label(ref key);
            if (key == 0)
                throw new InvalidDataException(
                    $"Row {cursor.Position} has a missing label (a value the label key mapping does not know)."
                );
            string? groupName = null;
            if (group is not null)
            {
                group(ref text);
                groupName = text.ToString();
            }
            rows.Add(new RowInfo(rowId, (int)key - 1, groupName));
        }
        return rows;
    }

    /// <summary>Reads the bags of the rows in <paramref name="include"/> (all when null), shuffled by <paramref
    /// name="shuffle"/> when given, decoded on <paramref name="workers"/> threads; the order does not depend on
    /// the number of workers. The first <paramref name="skip"/> bags of that order are left out without being
    /// decoded (a resumed epoch).</summary>
    public IEnumerable<LabelledBag> Read(
        IReadOnlySet<DataViewRowId>? include,
        Random? shuffle,
        int readAhead,
        int workers = 1,
        CancellationToken cancel = default,
        int skip = 0
    )
    {
        using var queue = new BlockingCollection<LabelledBag>(readAhead);
        Exception? failure = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var producer = Task.Run(() =>
        {
            try
            {
                var bags =
                    skip > 0 ? ReadListed(Order(include, shuffle).Skip(skip).ToList(), Math.Max(1, workers))
                    : workers > 1 ? ReadListed(Order(include, shuffle), workers)
                    : ReadInOrder(include, shuffle);
                foreach (var bag in bags)
                {
                    if (stop.IsCancellationRequested)
                        break;
                    queue.Add(bag, stop.Token);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                queue.CompleteAdding();
            }
        });
        try
        {
            foreach (var bag in queue.GetConsumingEnumerable(cancel))
                yield return bag;
        }
        finally
        {
            stop.Cancel();
            producer.Wait();
        }
        if (failure is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
    }

    private IEnumerable<LabelledBag> ReadInOrder(IReadOnlySet<DataViewRowId>? include, Random? shuffle)
    {
        if (shuffle is null)
            return Pass(_data, include, null);
        if (_data.CanShuffle)
            return Pass(_data, include, shuffle);
        return ShuffledInChunks(include, shuffle);
    }

    /// <summary>
    /// Rows in a listed order (<see cref="Order"/>: only row ids are read), decoded by several workers: the order is
    /// cut into chunks whose rows are shared out round-robin, each worker collecting its share in one pass of its own
    /// cursor. The next chunk is decoded while the current one is consumed, so at most two chunks
    /// (<see cref="ParallelChunk"/>) are held.
    /// </summary>
    private IEnumerable<LabelledBag> ReadListed(List<DataViewRowId> order, int workers)
    {
        var chunks = order.Chunk(ParallelChunk(workers)).ToList();
        Task<Dictionary<DataViewRowId, LabelledBag>> Decode(DataViewRowId[] chunk) =>
            Task.Run(() =>
            {
                var shares = Enumerable
                    .Range(0, workers)
                    .Select(w => chunk.Where((_, i) => i % workers == w).ToHashSet())
                    .Where(share => share.Count > 0)
                    .ToList();
                var found = new List<LabelledBag>[shares.Count];
                try
                {
                    Parallel.For(
                        0,
                        shares.Count,
                        new ParallelOptions { MaxDegreeOfParallelism = workers },
                        w => found[w] = Pass(_data, shares[w], null).ToList()
                    );
                }
                catch (AggregateException e)
                {
                    // The first worker's failure as itself (a bad image stays an ImageReadException), as one worker
                    // would have thrown it.
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
                }
                return found.SelectMany(bags => bags).ToDictionary(b => b.RowId);
            });
        Task<Dictionary<DataViewRowId, LabelledBag>>? next = chunks.Count > 0 ? Decode(chunks[0]) : null;
        try
        {
            for (int c = 0; c < chunks.Count; c++)
            {
                var found = next!.GetAwaiter().GetResult();
                next = c + 1 < chunks.Count ? Decode(chunks[c + 1]) : null;
                foreach (var id in chunks[c])
                    yield return found[id];
            }
        }
        finally
        {
            // A consumer that stops early must not leave a decode running on the data.
            try
            {
                next?.Wait();
            }
            catch (AggregateException) { }
        }
    }

    /// <summary>Rows per chunk of the parallel read: enough for every worker to decode a few.</summary>
    internal static int ParallelChunk(int workers) => Math.Max(ShuffleChunk, 2 * workers);

    /// <summary>The row ids <see cref="ReadInOrder"/> yields, in its order, without decoding anything.</summary>
    private List<DataViewRowId> Order(IReadOnlySet<DataViewRowId>? include, Random? shuffle)
    {
        if (shuffle is not null && !_data.CanShuffle)
            return ShuffledOrder(include, shuffle).ToList();
        var order = new List<DataViewRowId>();
        using var cursor = SerialCursor(_data, [], shuffle);
        var id = cursor.GetIdGetter();
        DataViewRowId rowId = default;
        while (cursor.MoveNext())
        {
            id(ref rowId);
            if (include is null || include.Contains(rowId))
                order.Add(rowId);
        }
        return order;
    }

    private DataViewRowId[] ShuffledOrder(IReadOnlySet<DataViewRowId>? include, Random shuffle)
    {
        var order = (include ?? (IEnumerable<DataViewRowId>)ListRows().Select(r => r.RowId))
            .OrderBy(id => id.High)
            .ThenBy(id => id.Low)
            .ToArray();
        shuffle.Shuffle(order);
        return order;
    }

    /// <summary>
    /// A true random order over data that cannot shuffle itself (e.g. LoadFromEnumerable): the permutation is cut into
    /// chunks and each chunk is collected in one cheap pass (rows outside it are skipped before their image is
    /// decoded), so at most <see cref="ShuffleChunk"/> bags are held at once.
    /// </summary>
    private IEnumerable<LabelledBag> ShuffledInChunks(IReadOnlySet<DataViewRowId>? include, Random shuffle)
    {
        foreach (var chunk in ShuffledOrder(include, shuffle).Chunk(ShuffleChunk))
        {
            var wanted = chunk.ToHashSet();
            var found = Pass(_data, wanted, null).ToDictionary(b => b.RowId);
            foreach (var id in chunk)
                yield return found[id];
        }
    }

    private const int ShuffleChunk = 16;

    /// <summary>The first row's bag (one image decoded): what the trainer sizes its network from.</summary>
    public LabelledBag First() =>
        Pass(_data, null, null).FirstOrDefault() ?? throw new ArgumentException("The training data has no rows.");

    private IEnumerable<LabelledBag> Pass(IDataView data, IReadOnlySet<DataViewRowId>? include, Random? shuffle)
    {
        using var cursor = SerialCursor(data, [_bag, _layout, _label], shuffle);
        var id = cursor.GetIdGetter();
        var bagGetter = cursor.GetGetter<VBuffer<float>>(_bag);
        var layoutGetter = cursor.GetGetter<VBuffer<int>>(_layout);
        var labelGetter = cursor.GetGetter<uint>(_label);
        DataViewRowId rowId = default;
        VBuffer<float> bag = default;
        VBuffer<int> layout = default;
        uint key = 0;
        while (cursor.MoveNext())
        {
            id(ref rowId);
            if (include is not null && !include.Contains(rowId))
                continue;
            labelGetter(ref key);
            bagGetter(ref bag);
            layoutGetter(ref layout);
            yield return new LabelledBag(rowId, Dense(bag), BagLayout.Decode(Dense(layout)), (int)key - 1);
        }
    }

    /// <summary>
    /// One cursor, no parallel split. GetRowCursor on a costly transform (our bagging) may split the rows over worker
    /// threads and consolidate them, and those workers compute every requested column for every row — rows we skip
    /// included — and buffer whole batches of 3.7 MB bags. A cursor set of one keeps decoding lazy: a bag is built only
    /// when its getter is called.
    /// </summary>
    private static DataViewRowCursor SerialCursor(
        IDataView data,
        IEnumerable<DataViewSchema.Column> columns,
        Random? shuffle
    ) => data.GetRowCursorSet(columns, 1, shuffle)[0];

    private static T[] Dense<T>(in VBuffer<T> v) => v.IsDense ? v.GetValues().ToArray() : v.DenseValues().ToArray();

    private static DataViewSchema.Column Require(DataViewSchema schema, string name, string what) =>
        schema.GetColumnOrNull(name)
        ?? throw new ArgumentException($"Attention-MIL training needs {what}: column '{name}' is not in the data.");

    private static IReadOnlyList<string> ReadClassNames(DataViewSchema.Column label, int count)
    {
        var names = Enumerable
            .Range(0, count)
            .Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();
        var keyValues = label.Annotations.Schema.GetColumnOrNull("KeyValues");
        if (keyValues is { Type: VectorDataViewType { ItemType: TextDataViewType } })
        {
            VBuffer<ReadOnlyMemory<char>> values = default;
            label.GetKeyValues(ref values);
            var dense = values.DenseValues().Select(v => v.ToString()).ToArray();
            if (dense.Length == count && dense.Distinct().Count() == count)
                names = dense;
        }
        return names;
    }
}
