namespace S3Fanout.Shared.Aws;

/// <summary>One failure, classified: whether to try again, the exit code if it ends the run, and one line for the user.</summary>
internal sealed record Failure(FailureKind Kind, bool Retryable, int ExitCode, string Line);
