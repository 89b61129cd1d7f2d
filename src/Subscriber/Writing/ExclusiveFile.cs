using S3Fanout.Shared;

namespace S3Fanout.Subscriber.Writing;

/// <summary>
/// A file that one process at a time may hold open. On Unix .NET implements <see cref="FileShare.None"/> with
/// <c>flock(LOCK_EX | LOCK_NB)</c> on the open file (https://github.com/dotnet/corefx/commit/ec5640f: "On Unix, we
/// implement FileShare in FileStream with flock"), so a second opener, in this process or another, fails at once
/// instead of sharing the file, and the kernel drops the lock when the holder exits, even by SIGKILL. flock is advisory
/// and may be a no-op on some network file systems (.NET then lets the open succeed); local disks are what it guards.
/// </summary>
internal static class ExclusiveFile
{
    private const int EWouldBlock = 11;
    private const int SharingViolation = unchecked((int)0x80070020);

    /// <summary>Opens (or creates) <paramref name="path"/> for reading and writing, locked; changes nothing in it.</summary>
    /// <param name="holder">Who would hold it, for the error line ("another subscriber writing FILE").</param>
    public static FileStream Open(string path, string holder, int bufferSize = 4096)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize);
        }
        catch (IOException e) when (e.HResult is EWouldBlock or SharingViolation)
        {
            // The lock, held by someone else (Unix: flock's EWOULDBLOCK, which .NET reports as the HResult; Windows: sharing).
            throw new FatalException(ExitCodes.LocalIo, $"'{path}' is in use by {holder}: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FatalException(ExitCodes.LocalIo, $"cannot write '{path}': {e.Message}", e);
        }
    }
}
