using System.Security.Cryptography;
using System.Text;
using S3Fanout.Subscriber.Writing;

namespace S3Fanout.Subscriber.Fleet;

/// <summary>
/// The fleet service's memory across restarts: one <see cref="SinkState"/> file per broadcast under
/// <c>StateDirectory/broadcasts/</c>, named by a hash of bucket and broadcast (names are untrusted and may be long).
/// </summary>
internal sealed class StateStore
{
    public const string Mirroring = "mirroring";
    public const string Done = "done";
    public const string Failed = "failed";
    private readonly string _dir;

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
    }

    public static string Id(string bucket, string broadcast) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(bucket + "\n" + broadcast)))[..32];

    public string PathOf(string id) => Path.Combine(_dir, id + ".json");

    public SinkState? Load(string id) => SinkState.TryLoad(PathOf(id));

    public void Save(string id, SinkState state) => state.Save(PathOf(id));
}
