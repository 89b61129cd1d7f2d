using Microsoft.Extensions.Logging;
using S3Fanout.Subscriber.Writing;

namespace S3Fanout.Subscriber.Sinks;

/// <summary>
/// One file: it grows as a partial file and appears at its name only after the stream checksum matched, so a reader
/// never sees half a file as complete (the partial file sits on the same filesystem, so the rename is atomic).
/// Resumable: progress is checkpointed after every segment, in <c>PARTIAL.state</c> beside it, which this sink alone owns.
/// Serves <c>-o FILE</c> (FILE.partial) and the fleet's directory sink (DIR/.s3fanout/ID.partial).
/// </summary>
internal sealed class FileSink : ISegmentSink
{
    private readonly ResumableFile _file;
    private readonly string _finalPath;

    private FileSink(ResumableFile file, string finalPath)
    {
        _file = file;
        _finalPath = finalPath;
    }

    public Stream? Stream => _file.Stream;
    public ResumePoint? Resume => _file.Resume;
    public CheckpointAsync? Checkpoint { get; private init; }

    /// <param name="currentRun">When the broadcast's run began, as known at each checkpoint (the manifest may come later).</param>
    public static async Task<FileSink> OpenAsync(
        string partialPath, string finalPath, string url, DateTimeOffset? uploadBegan, bool resume, Func<DateTimeOffset?> currentRun, ILogger logger, CancellationToken ct)
    {
        var file = await ResumableFile.OpenAsync(partialPath, url, uploadBegan, resume, logger, ct).ConfigureAwait(false);
        return new FileSink(file, finalPath)
        {
            Checkpoint = (segments, bytes, token) => file.CheckpointAsync(segments, bytes, currentRun(), token),
        };
    }

    public async Task CompleteAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_finalPath))!);
        await _file.CompleteAsync(_finalPath).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _file.DisposeAsync();
}
