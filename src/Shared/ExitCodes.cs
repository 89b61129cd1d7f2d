namespace S3Fanout.Shared;

/// <summary>Exit codes of both executables. The README's table is written from this list.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>An unexpected internal error.</summary>
    public const int Internal = 1;
    /// <summary>Bad command line: unknown option, value out of range, malformed URL, TTY where a pipe is needed.</summary>
    public const int Usage = 2;
    /// <summary>The destination or source is not usable: missing bucket, prefix already used, no such broadcast.</summary>
    public const int NotFound = 3;
    /// <summary>No credentials, or access denied.</summary>
    public const int Access = 4;
    /// <summary>The endpoint could not be reached.</summary>
    public const int Unreachable = 5;
    /// <summary>A segment could not be stored or fetched within the retry budget.</summary>
    public const int Transfer = 6;
    /// <summary>Data failed verification: a segment or the stream checksum did not match.</summary>
    public const int Integrity = 7;
    /// <summary>The broadcast was aborted or the publisher stopped sending (stall timeout).</summary>
    public const int BroadcastFailed = 8;
    /// <summary>Reading the input or writing the output failed (stdin error, stdout closed, disk full).</summary>
    public const int LocalIo = 9;
    /// <summary>Interrupted by SIGINT (130) or SIGTERM (143).</summary>
    public const int Interrupted = 130;
    public const int Terminated = 143;
}
