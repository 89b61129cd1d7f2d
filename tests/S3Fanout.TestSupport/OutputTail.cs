namespace S3Fanout.TestSupport;

/// <summary>Thread-safe bounded buffer keeping the last lines written to it (for error messages).</summary>
public sealed class OutputTail
{
    private readonly Queue<string> _lines = new();
    private readonly int _capacity;
    private readonly Lock _gate = new();

    public OutputTail(int capacity = 60)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    public void Add(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_gate)
        {
            if (_lines.Count == _capacity)
            {
                _lines.Dequeue();
            }
            _lines.Enqueue(line);
        }
    }

    public bool Any(Func<string, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        lock (_gate)
        {
            return _lines.Any(predicate);
        }
    }

    /// <summary>The kept lines joined with newlines, or "(no output)".</summary>
    public override string ToString()
    {
        lock (_gate)
        {
            return _lines.Count == 0 ? "(no output)" : string.Join('\n', _lines);
        }
    }
}
