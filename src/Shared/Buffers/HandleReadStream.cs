using Microsoft.Win32.SafeHandles;

namespace S3Fanout.Shared.Buffers;

/// <summary>
/// A seekable, read-only view of the first <c>length</c> bytes of an open file, read through its handle (positional
/// reads, so views do not disturb each other or the writer). The file is never opened again by its path: what is read
/// is the very file that was written and hashed, even if someone swaps the path meanwhile. The handle stays the writer's.
/// </summary>
internal sealed class HandleReadStream(SafeFileHandle handle, long length) : ReadOnlySeekableStream(length)
{
    protected override int ReadAt(long position, Span<byte> buffer)
    {
        var n = RandomAccess.Read(handle, buffer, position);
        return n > 0 || buffer.IsEmpty ? n : throw new IOException($"staged segment ended at byte {position} of {Length}");
    }
}
