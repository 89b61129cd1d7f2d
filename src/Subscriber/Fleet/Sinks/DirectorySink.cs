using Microsoft.Extensions.Logging;
using S3Fanout.Subscriber.Writing;

namespace S3Fanout.Subscriber.Fleet.Sinks;

/// <summary>
/// One file per broadcast. It grows under <c>DIR/.s3fanout/ID.partial</c> (same filesystem, so the final rename is
/// atomic) and appears at its name only after the stream checksum matched: a reader never sees half a file as complete.
/// Resumable: progress is checkpointed after every segment, in <c>ID.partial.state</c> beside it, which this sink alone owns.
/// </summary>
internal sealed class DirectorySink : IMirrorSink
{
    private readonly ResumableFile _file;
    private readonly string _finalPath;

    private DirectorySink(ResumableFile file, string finalPath)
    {
        _file = file;
        _finalPath = finalPath;
    }

    public Stream Stream => _file.Stream;
    public ResumePoint? Resume => _file.Resume;
    public CheckpointAsync? Checkpoint { get; private init; }

    public static async Task<DirectorySink> OpenAsync(
        string root, string finalPath, string id, string url, DateTimeOffset? uploadBegan, bool resume, Func<DateTimeOffset?> currentRun, ILogger logger, CancellationToken ct)
    {
        var work = Directory.CreateDirectory(Path.Combine(root, ".s3fanout")).FullName;
        var file = await ResumableFile.OpenAsync(Path.Combine(work, id + ".partial"), url, uploadBegan, resume, logger, ct).ConfigureAwait(false);
        return new DirectorySink(file, finalPath)
        {
            Checkpoint = (segments, bytes, token) => file.CheckpointAsync(segments, bytes, currentRun(), token),
        };
    }

    public async Task CompleteAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_finalPath)!);
        await _file.CompleteAsync(_finalPath).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _file.DisposeAsync();
}
