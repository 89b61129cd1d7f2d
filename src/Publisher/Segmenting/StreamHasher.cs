using System.Security.Cryptography;
using System.Threading.Channels;

namespace S3Fanout.Publisher.Segmenting;

/// <summary>
/// The whole-stream SHA-256, one stage of its own between the segmenter and the uploaders: it hashes each sealed segment in
/// stream order and passes it on, so reading stdin and this sequential hash run on two cores instead of one.
/// </summary>
/// <remarks>
/// It holds no buffer of its own: a segment waiting here still holds the segment slot the segmenter took for it, so
/// memory stays bounded by the slots. Its output ends the way its input ended (with the segmenter's error, if any).
/// </remarks>
internal sealed class StreamHasher(ChannelReader<SealedSegment> input, ChannelWriter<SealedSegment> output, Action<SealedSegment> drop)
{
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Hex SHA-256 of every segment passed on; valid after <see cref="RunAsync"/> completed.</summary>
    public string StreamSha256 { get; private set; } = "";

    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var segment in input.ReadAllAsync(ct).ConfigureAwait(false))
            {
                segment.Buffer.ForEachChunk(chunk => _sha256.AppendData(chunk));
                try
                {
                    await output.WriteAsync(segment, ct).ConfigureAwait(false);
                }
                catch
                {
                    drop(segment);
                    throw;
                }
            }
            StreamSha256 = Convert.ToHexStringLower(_sha256.GetHashAndReset());
            output.TryComplete();
        }
        catch (Exception e)
        {
            output.TryComplete(e);
            throw;
        }
        finally
        {
            _sha256.Dispose();
        }
    }
}
