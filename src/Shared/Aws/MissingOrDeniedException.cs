namespace S3Fanout.Shared.Aws;

/// <summary>
/// A key of a broadcast answered 403 (<see cref="FailureKind.MissingOrDenied"/>): not there, or not readable by this
/// principal. Ends a command with exit 4, unless its caller knows that "not there yet" is the likelier reading.
/// </summary>
internal sealed class MissingOrDeniedException(string message, Exception inner) : FatalException(ExitCodes.Access, message, inner);
