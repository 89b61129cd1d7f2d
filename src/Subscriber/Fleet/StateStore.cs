using System.Security.Cryptography;
using System.Text;
using S3Fanout.Shared.Protocol;
using S3Fanout.Subscriber.Writing;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>
/// The fleet service's memory across restarts: one <see cref="MirrorRecord"/> file per broadcast under
/// <c>StateDirectory/broadcasts/</c>, named by its <see cref="Id"/>. Only the service writes these files; a sink keeps
/// its resume checkpoint in its own file.
/// </summary>
internal sealed class StateStore : IDisposable
{
    /// <summary>Held open and locked (<see cref="ExclusiveFile"/>) while the store is in use.</summary>
    public const string LockFileName = "s3fanout.lock";
    private readonly string _dir;
    private readonly FileStream _lock;

    /// <summary>Takes the state directory for this process: a second service on the same directory fails here, at start.</summary>
    public StateStore(string stateDirectory)
    {
        _dir = Path.Combine(stateDirectory, "broadcasts");
        try
        {
            Directory.CreateDirectory(_dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Shared.UsageException($"S3Fanout:StateDirectory '{stateDirectory}' cannot be created: {e.Message}");
        }
        _lock = ExclusiveFile.Open(Path.Combine(stateDirectory, LockFileName), "another s3fanout-subscribe serve (S3Fanout:StateDirectory must be its own)");
    }

    public void Dispose() => _lock.Dispose();

    /// <summary>
    /// A broadcast's identity in the service: a hash of its normalized location, so every spelling of one broadcast
    /// (a forged <c>name/</c> is <c>name</c>) is one broadcast, and untrusted, long names make safe file names.
    /// </summary>
    public static string Id(BroadcastLocation location) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(location.Bucket + "\n" + location.Prefix)))[..32];

    public MirrorRecord? Load(string id) => StateFile.TryLoad(PathOf(id), StateFileJsonContext.Default.MirrorRecord);

    public void Save(string id, MirrorRecord record) => StateFile.Save(PathOf(id), record, StateFileJsonContext.Default.MirrorRecord);

    private string PathOf(string id) => Path.Combine(_dir, id + ".json");
}
