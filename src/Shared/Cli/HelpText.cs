namespace S3Fanout.Shared.Cli;

/// <summary>Text shared by the <c>--help</c> of every command: the exit codes, written from <see cref="ExitCodes"/>.</summary>
internal static class HelpText
{
    public static readonly string ExitCodeList = string.Join('\n',
        "Exit codes:",
        $"  {ExitCodes.Ok,-3}  success",
        $"  {ExitCodes.Internal,-3}  internal error",
        $"  {ExitCodes.Usage,-3}  bad command line (unknown option, value out of range, malformed s3:// URL, a terminal where a pipe is needed)",
        $"  {ExitCodes.NotFound,-3}  bucket or broadcast missing, prefix already used, or no broadcast within --wait",
        $"  {ExitCodes.Access,-3}  no credentials, or access denied",
        $"  {ExitCodes.Unreachable,-3}  endpoint unreachable",
        $"  {ExitCodes.Transfer,-3}  a segment could not be stored or fetched within -t attempts",
        $"  {ExitCodes.Integrity,-3}  integrity: a segment or the stream failed verification, or the archive is malformed",
        $"  {ExitCodes.BroadcastFailed,-3}  the broadcast was aborted, or the publisher stopped (stall timeout)",
        $"  {ExitCodes.LocalIo,-3}  local I/O: reading stdin or writing stdout/the output file failed",
        $"  {ExitCodes.Interrupted}, {ExitCodes.Terminated}  interrupted by SIGINT or SIGTERM");

    /// <summary>A command description: <paramref name="summary"/>, the example lines, then the exit codes.</summary>
    public static string Describe(string summary, params string[] examples) =>
        $"{summary}\n\nExamples:\n{string.Join('\n', examples.Select(e => "  " + e))}\n\n{ExitCodeList}";
}
