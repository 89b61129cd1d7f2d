namespace S3Fanout.Shared.Telemetry;

/// <summary>Runs a <see cref="ProgressReporter"/> for as long as the scope lives; draws a last update when it ends.</summary>
internal sealed class ProgressScope : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    private ProgressScope(ProgressReporter reporter) => _running = reporter.RunAsync(_stop.Token);

    /// <summary>Starts showing progress when <see cref="ProgressReporter.IsWanted"/>; otherwise a scope that does nothing.</summary>
    public static ProgressScope? StartIfWanted(bool requested, TransferProgress progress, string verb, bool showLag) =>
        ProgressReporter.IsWanted(requested) ? new ProgressScope(new ProgressReporter(progress, verb, showLag)) : null;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _running.ConfigureAwait(false);
        _stop.Dispose();
    }
}
