namespace S3Fanout.Shared;

/// <summary>A problem the user can fix; reported as one line with a documented exit code.</summary>
internal class FatalException(int exitCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}

internal sealed class UsageException(string message) : FatalException(ExitCodes.Usage, message);
