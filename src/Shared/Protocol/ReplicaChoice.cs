using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace S3Fanout.Shared.Protocol;

/// <summary>
/// Which copy of a segment a subscriber reads when the broadcast has read replicas: a stable hash of the subscriber's
/// identity (<c>--identity</c>, default the host name; <c>serve</c>: its instance identity) over the primary and the K
/// replicas, so a fleet spreads its GETs evenly over K + 1 S3 prefixes and each member keeps its choice across runs.
/// </summary>
/// <remarks>SHA-256, not <see cref="string.GetHashCode()"/>, which .NET randomises per process.</remarks>
internal static class ReplicaChoice
{
    /// <summary>0 for the primary, else the replica 1..<paramref name="replicas"/>.</summary>
    public static int For(string identity, int replicas)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentOutOfRangeException.ThrowIfNegative(replicas);
        if (replicas == 0)
        {
            return 0;
        }
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(identity), hash);
        return (int)(BinaryPrimitives.ReadUInt64BigEndian(hash) % (ulong)(replicas + 1));
    }

    /// <summary>The identity of a subscriber that was given none: the host name.</summary>
    public static string DefaultIdentity => Environment.MachineName;
}
