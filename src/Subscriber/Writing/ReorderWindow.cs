using S3Fanout.Shared.Pipeline;

namespace S3Fanout.Subscriber.Writing;

/// <summary>
/// The bounded window between parallel fetchers and the single ordered writer. Only indices in
/// [<see cref="NextIndex"/>, NextIndex + capacity) may be fetched (<see cref="CanAccept"/>), so at most
/// <c>capacity</c> segments are held, and the one the writer needs next always has room: no deadlock, bounded memory.
/// </summary>
/// <remarks>
/// One lock guards the parked segments and the next index; the writer is the only consumer and the only one that
/// advances <see cref="NextIndex"/>.
/// </remarks>
internal sealed class ReorderWindow(int capacity, long firstIndex = 1) : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<long, FetchedSegment> _parked = [];
    private readonly AsyncSignal _ready = new();
    private long _next = firstIndex;

    public int Capacity { get; } = capacity;

    public long NextIndex
    {
        get
        {
            lock (_gate)
            {
                return _next;
            }
        }
    }

    public bool CanAccept(long index)
    {
        lock (_gate)
        {
            return index < _next + Capacity;
        }
    }

    /// <summary>Parks a segment; a duplicate or an index already written is released at once.</summary>
    public void Put(FetchedSegment segment)
    {
        bool wake;
        lock (_gate)
        {
            if (segment.Index < _next || !_parked.TryAdd(segment.Index, segment))
            {
                segment.Buffer?.Dispose();
                return;
            }
            wake = segment.Index == _next;
        }
        if (wake)
        {
            _ready.Set();
        }
    }

    /// <summary>Waits for the segment at <see cref="NextIndex"/>. The caller writes it, then calls <see cref="Advance"/>.</summary>
    public async Task<FetchedSegment> TakeNextAsync(CancellationToken ct)
    {
        while (true)
        {
            lock (_gate)
            {
                if (_parked.Remove(_next, out var segment))
                {
                    return segment;
                }
            }
            await _ready.WaitAsync(Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false);
        }
    }

    public void Advance()
    {
        lock (_gate)
        {
            // A copy of the segment just written may have been parked while it was being written.
            if (_parked.Remove(_next, out var stale))
            {
                stale.Buffer?.Dispose();
            }
            _next++;
            if (_parked.ContainsKey(_next))
            {
                _ready.Set();
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var s in _parked.Values)
            {
                s.Buffer?.Dispose();
            }
            _parked.Clear();
        }
        _ready.Dispose();
    }
}
