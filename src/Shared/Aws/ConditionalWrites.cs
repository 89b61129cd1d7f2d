using Microsoft.Extensions.Logging;

namespace S3Fanout.Shared.Aws;

/// <summary>
/// Whether this run sends S3 conditional writes (<see cref="PutCondition"/>). On by default; an endpoint that answers one
/// with 501 NotImplemented, as S3-compatible stores without conditional writes do, turns them off for the rest of the
/// run, with one warning: the broadcast still works, but two publishers on one name are no longer kept apart.
/// </summary>
internal sealed class ConditionalWrites(ILogger logger)
{
    private int _off;

    public bool Enabled => Volatile.Read(ref _off) == 0;

    public void Disable(string endpointError)
    {
        if (Interlocked.Exchange(ref _off, 1) == 0)
        {
            logger.LogWarning("The endpoint does not support conditional writes ({Error}); writing without them, so a second publisher on the same name is not stopped", endpointError);
        }
    }
}
