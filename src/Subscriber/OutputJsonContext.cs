using System.Text.Json.Serialization;
using S3Fanout.Shared.Assembly;
using S3Fanout.Shared.Cli;
using S3Fanout.Subscriber.Archive;
using S3Fanout.Subscriber.Fleet;

namespace S3Fanout.Subscriber;

/// <summary>
/// Every type the subscriber prints with <c>--json</c> or writes to the health file, generated at compile time on
/// <see cref="JsonOutput"/>'s convention (no reflection, so it works in the Native AOT executable).
/// </summary>
[JsonSerializable(typeof(List<BroadcastSummary>))]
[JsonSerializable(typeof(BroadcastInfo))]
[JsonSerializable(typeof(RemoveResult))]
[JsonSerializable(typeof(VerifyResult))]
[JsonSerializable(typeof(AssemblyResult))]
[JsonSerializable(typeof(AssemblyCheck))]
[JsonSerializable(typeof(IReadOnlyList<OrphanQueue>))]
[JsonSerializable(typeof(HealthFileWriter.HealthReport))]
internal sealed partial class OutputJsonContext : JsonSerializerContext
{
    /// <summary>The context on <see cref="JsonOutput.CreateOptions"/>: snake_case, indented, no HTML escaping.</summary>
    public static OutputJsonContext Output { get; } = new(JsonOutput.CreateOptions());
}
