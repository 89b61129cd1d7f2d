using System.Text;
using S3Fanout.Shared.Buffers;
using S3Fanout.Shared.Protocol;

namespace S3Fanout.Shared.Announcing;

/// <summary>
/// The <c>.checksums</c> index as it grows: each segment's line is appended to a file as the segment joins the unbroken
/// run, so the publisher's memory does not grow with the broadcast (about 40 bytes a segment go to disk instead), and the
/// file is uploaded as it is at the end. It lives in a private folder (mode 0700, an unpredictable name) under -p DIR,
/// or under the system's temporary folder, and is deleted on dispose.
/// </summary>
internal sealed class ChecksumSpool : IDisposable
{
    private readonly string _folder;
    private readonly FileStream _file;

    public ChecksumSpool(string? stagingRoot)
    {
        _folder = SegmentBufferFactory.CreatePrivateFolder(stagingRoot ?? Path.GetTempPath(), "checksums");
        _file = new FileStream(Path.Combine(_folder, KeyLayout.ChecksumsName), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose);
        Write(ChecksumIndexCodec.Header);
    }

    /// <summary>Segments appended: the unbroken run 1..Count.</summary>
    public long Count { get; private set; }

    /// <summary>The size of the last segment appended (0 before the first).</summary>
    public long LastSize { get; private set; }

    public void Append(SegmentInfo segment)
    {
        Write(ChecksumIndexCodec.FormatLine(segment));
        Count = segment.Index;
        LastSize = segment.Size;
    }

    /// <summary>The whole index so far, as a seekable stream for the upload; valid until the next <see cref="Append"/>.</summary>
    public Stream Contents()
    {
        _file.Flush();
        _file.Position = 0;
        return _file;
    }

    private void Write(string text)
    {
        _file.Seek(0, SeekOrigin.End);
        _file.Write(Encoding.UTF8.GetBytes(text));
    }

    public void Dispose()
    {
        _file.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover empty folder is harmless.
        }
    }
}
