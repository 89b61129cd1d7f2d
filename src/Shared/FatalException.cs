namespace S3Fanout.Shared;

/// <summary>A problem the user can fix; reported as one line with a documented exit code.</summary>
/// <param name="retryable">
/// True when the same step may succeed if tried again, such as data damaged on the way; a lasting condition (a bad
/// option, a missing broadcast) is never retried.
/// </param>
internal class FatalException(int exitCode, string message, Exception? inner = null, bool retryable = false) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;

    public bool Retryable { get; } = retryable;
}

internal sealed class UsageException(string message) : FatalException(ExitCodes.Usage, message);
