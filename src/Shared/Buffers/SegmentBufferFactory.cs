using System.Globalization;

namespace S3Fanout.Shared.Buffers;

/// <summary>Makes segment buffers in memory, or in a private staging folder under -p DIR.</summary>
internal sealed class SegmentBufferFactory : IDisposable
{
    public const int BlockSize = 1024 * 1024;
    private readonly BlockPool _pool = new(BlockSize);
    private readonly string? _stagingDir;

    public SegmentBufferFactory(string? stagingRoot, string role)
    {
        if (stagingRoot is null)
        {
            return;
        }
        var dir = Path.Combine(stagingRoot, $"s3fanout-{role}", Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(dir);
            }
            else
            {
                Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot create staging folder '{dir}' (-p): {e.Message}");
        }
        _stagingDir = dir;
    }

    public SegmentBuffer Create(long index) => _stagingDir is null
        ? new MemorySegmentBuffer(_pool)
        : new FileSegmentBuffer(Path.Combine(_stagingDir, $"{index:D15}.{Guid.NewGuid():N}"));

    public void Dispose()
    {
        if (_stagingDir is not null)
        {
            try
            {
                Directory.Delete(_stagingDir, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a leftover empty staging folder is harmless.
            }
        }
    }
}
