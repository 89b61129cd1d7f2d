namespace S3Fanout.Shared.Pipeline;

/// <summary>
/// Runs pipeline stages together: the first stage to fail cancels the others, every stage is awaited,
/// and the first real failure (not the cancellations it caused) is rethrown.
/// </summary>
internal static class StageGroup
{
    public static async Task RunAsync(CancellationToken ct, params Func<CancellationToken, Task>[] stages)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Exception? first = null;
        var gate = new object();
        var tasks = stages.Select(async stage =>
        {
            try
            {
                await Task.Run(() => stage(cts.Token), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                lock (gate)
                {
                    if (first is null && !(e is OperationCanceledException && cts.IsCancellationRequested))
                    {
                        first = e;
                    }
                }
                await cts.CancelAsync().ConfigureAwait(false);
            }
        }).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        if (first is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
        ct.ThrowIfCancellationRequested();
    }
}
