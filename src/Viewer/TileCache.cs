namespace Amil.MLNet.Viewer;

/// <summary>Encoded tiles, least recently used dropped first once their bytes pass the cap, so memory stays bounded
/// however long the viewer runs and however far it is zoomed.</summary>
internal sealed class TileCache(long capBytes)
{
    private readonly object _gate = new();
    private readonly LinkedList<(string Key, byte[] Bytes)> _order = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, byte[] Bytes)>> _index = [];
    private long _bytes;

    public long Bytes
    {
        get
        {
            lock (_gate)
                return _bytes;
        }
    }

    public bool TryGet(string key, out byte[] bytes)
    {
        lock (_gate)
        {
            if (_index.TryGetValue(key, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                bytes = node.Value.Bytes;
                return true;
            }
        }
        bytes = [];
        return false;
    }

    public void Add(string key, byte[] bytes)
    {
        lock (_gate)
        {
            if (_index.ContainsKey(key) || bytes.Length > capBytes)
                return;
            _index[key] = _order.AddFirst((key, bytes));
            _bytes += bytes.Length;
            while (_bytes > capBytes && _order.Last is { } oldest)
            {
                _order.RemoveLast();
                _index.Remove(oldest.Value.Key);
                _bytes -= oldest.Value.Bytes.Length;
            }
        }
    }
}
