using System.Globalization;
using System.Security.Cryptography;

namespace S3Fanout.Shared.Buffers;

/// <summary>Makes segment buffers in memory, or in a private staging folder under -p DIR.</summary>
internal sealed class SegmentBufferFactory : IDisposable
{
    public const int BlockSize = 1024 * 1024;
    private readonly BlockPool _pool = new(BlockSize);
    /// <summary>This process's own staging folder under -p, or null when segments are held in memory.</summary>
    private readonly string? _stagingDirectory;

    /// <param name="stagingRoot">-p DIR, which may be shared with other users (e.g. /tmp).</param>
    public SegmentBufferFactory(string? stagingRoot, string role)
    {
        if (stagingRoot is not null)
        {
            _stagingDirectory = CreatePrivateFolder(stagingRoot, role);
        }
    }

    /// <summary>
    /// A new folder only this user can enter: an unpredictable name (128 random bits), so no one can have made it first,
    /// created with mode 0700, and refused unless it is a real folder with exactly that mode afterwards (a folder that
    /// someone else made would keep its own mode, and one this user cannot write fails at the first segment).
    /// </summary>
    internal static string CreatePrivateFolder(string stagingRoot, string role)
    {
        var dir = Path.Combine(stagingRoot, $"s3fanout-{role}-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}");
        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(dir);
                return dir;
            }
            Directory.CreateDirectory(dir, Private);
            var info = new DirectoryInfo(dir);
            if (info.LinkTarget is not null || info.UnixFileMode != Private)
            {
                throw new UsageException($"staging folder '{dir}' (-p) is not private (mode {Convert.ToString((int)info.UnixFileMode, 8)}, expected 700); refusing to stage segments there");
            }
            return dir;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot create staging folder '{dir}' (-p): {e.Message}");
        }
    }

    public SegmentBuffer Create(long index) => _stagingDirectory is null
        ? new MemorySegmentBuffer(_pool)
        : new FileSegmentBuffer(Path.Combine(_stagingDirectory, $"{index:D15}.{Guid.NewGuid():N}"));

    public void Dispose()
    {
        if (_stagingDirectory is not null)
        {
            try
            {
                Directory.Delete(_stagingDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a leftover empty staging folder is harmless.
            }
        }
    }
}
