using S3Fanout.Shared.Buffers;
using S3Fanout.TestSupport;
using Xunit;

namespace S3Fanout.UnitTests.Buffers;

public sealed class FileSegmentBufferTests : IDisposable
{
    private const int MiB = 1024 * 1024;
    private readonly string _dir = Directory.CreateTempSubdirectory("s3fanout-unit-").FullName;

    private string PathFor(string name) => Path.Combine(_dir, name);

    [Fact]
    public async Task WhenAppendedAndFilled_AllBytesAreStagedInTheFileInOrder()
    {
        var data = new TestData(2 * MiB + 1234, seed: 30).ToArray();
        using var buffer = new FileSegmentBuffer(PathFor("seg"));
        buffer.Append(data.AsSpan(0, 1000));
        var observed = new List<byte>();

        using var source = new MemoryStream(data, 1000, data.Length - 1000);
        var total = await buffer.AppendFromAsync(source, long.MaxValue, c => observed.AddRange(c), CancellationToken.None);

        Assert.Equal(data.Length - 1000, total);
        Assert.Equal(data.Length, buffer.Length);
        Assert.Equal(data[1000..], observed);
        Assert.Equal(data, MemorySegmentBufferTests.ReadAll(buffer.OpenRead()));
    }

    [Fact]
    public void WhenStdinIsReadIntoAStagedSegment_EachReadIsStagedAndADetachedReadNeverReachesTheFile()
    {
        var data = new TestData(3000, seed: 32).ToArray();
        using var buffer = new FileSegmentBuffer(PathFor("seg"));

        var space = buffer.GetReadSpace(2000);
        Assert.Equal(2000, space.Length);
        data.AsSpan(0, 1500).CopyTo(space.Span);
        buffer.Commit(1500);
        space = buffer.GetReadSpace(4 * MiB);
        Assert.Equal(MiB, space.Length);
        data.AsSpan(1500).CopyTo(space.Span);
        buffer.Commit(1500);
        space = buffer.GetReadSpace(100);
        using (buffer.DetachReadSpace())
        {
            // The read still under way lands here; the sealed segment must not see it.
            space.Span.Fill(0xEE);
        }

        Assert.Equal(3000, buffer.Length);
        Assert.Equal(data, MemorySegmentBufferTests.ReadAll(buffer.OpenRead()));
        Assert.False(buffer.GetReadSpace(100).Span.Overlaps(space.Span), "after a detach the buffer reused the detached memory");
    }

    [Fact]
    public void WhenChunksAreVisited_TheyCoverTheFileInOrderInBoundedChunks()
    {
        var data = new TestData(2 * MiB + 77, seed: 31).ToArray();
        using var buffer = new FileSegmentBuffer(PathFor("seg"));
        buffer.Append(data);
        var chunks = new List<byte[]>();

        buffer.ForEachChunk(c => chunks.Add(c.ToArray()));

        Assert.True(chunks.Count >= 3, $"{chunks.Count} chunks");
        Assert.All(chunks, c => Assert.InRange(c.Length, 1, MiB));
        Assert.Equal(data, chunks.SelectMany(c => c));
    }

    [Fact]
    public async Task WhenFilledWithAMaximum_ItStopsThere()
    {
        var data = new TestData(5000, seed: 32).ToArray();
        using var source = new MemoryStream(data);
        using var buffer = new FileSegmentBuffer(PathFor("seg"));

        var total = await buffer.AppendFromAsync(source, 1234, _ => { }, CancellationToken.None);

        Assert.Equal(1234, total);
        Assert.Equal(1234, source.Position);
        Assert.Equal(data[..1234], MemorySegmentBufferTests.ReadAll(buffer.OpenRead()));
    }

    [Fact]
    public async Task WhenCopiedToAStreamTwice_BothCopiesAreComplete()
    {
        var data = new TestData(100_000, seed: 33).ToArray();
        using var buffer = new FileSegmentBuffer(PathFor("seg"));
        buffer.Append(data);
        using var first = new MemoryStream();
        using var second = new MemoryStream();

        await buffer.CopyToAsync(first, CancellationToken.None);
        await buffer.CopyToAsync(second, CancellationToken.None);

        Assert.Equal(data, first.ToArray());
        Assert.Equal(data, second.ToArray());
    }

    [Fact]
    public void WhenDisposed_TheStagingFileIsDeleted()
    {
        var path = PathFor("seg");
        var buffer = new FileSegmentBuffer(path);
        buffer.Append([1, 2, 3]);
        Assert.True(File.Exists(path));

        buffer.Dispose();

        Assert.False(File.Exists(path), $"{path} was left behind");
    }

    [Fact]
    public void WhenTheFileAlreadyExists_ItIsNotOverwritten()
    {
        var path = PathFor("taken");
        File.WriteAllBytes(path, [9, 9, 9]);

        Assert.Throws<IOException>(() => new FileSegmentBuffer(path));
        Assert.Equal(new byte[] { 9, 9, 9 }, File.ReadAllBytes(path));
    }

    [Fact]
    public void WhenMadeByTheFactoryWithAStagingPath_TheFileLivesUnderItAndTheFolderGoesAwayWithTheFactory()
    {
        string stagingDir;
        using (var factory = new SegmentBufferFactory(_dir, "unit"))
        {
            using var buffer = factory.Create(7);
            buffer.Append([1]);
            var files = Directory.GetFiles(_dir, "*", SearchOption.AllDirectories);
            var file = Assert.Single(files);
            Assert.StartsWith("000000000000007.", Path.GetFileName(file), StringComparison.Ordinal);
            stagingDir = Path.GetDirectoryName(file)!;
        }

        Assert.False(Directory.Exists(stagingDir), $"{stagingDir} was left behind");
    }

    [Fact]
    public async Task WhenTheStagedFileIsSwappedByPath_TheBytesReadAreStillTheOnesWritten()
    {
        var path = PathFor("swapped");
        using var buffer = new FileSegmentBuffer(path);
        buffer.Append([1, 2, 3, 4]);

        // Another user of a shared -p replaces the file between hashing and upload.
        File.Delete(path);
        File.WriteAllBytes(path, [6, 6, 6, 6]);

        Assert.Equal(new byte[] { 1, 2, 3, 4 }, MemorySegmentBufferTests.ReadAll(buffer.OpenRead()));
        using var copy = new MemoryStream();
        await buffer.CopyToAsync(copy, CancellationToken.None);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, copy.ToArray());
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void WhenAnotherUserPreparedTheOldStagingFolder_TheFactoryMakesItsOwnPrivateOne()
    {
        // What an attacker on a shared -p could make in advance: the predictable folder of this role and process.
        var planted = Path.Combine(_dir, "s3fanout-unit", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(planted);
        File.SetUnixFileMode(planted, (UnixFileMode)0x1FF); // 0777

        using var first = new SegmentBufferFactory(_dir, "unit");
        using var second = new SegmentBufferFactory(_dir, "unit");
        using var one = first.Create(1);
        using var two = second.Create(1);
        one.Append([1]);
        two.Append([2]);

        Assert.Empty(Directory.GetFiles(planted));
        var folders = Directory.GetFiles(_dir, "*", SearchOption.AllDirectories).Select(f => Path.GetDirectoryName(f)!).ToList();
        Assert.Equal(2, folders.Distinct().Count());
        Assert.All(folders, f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(f)));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
