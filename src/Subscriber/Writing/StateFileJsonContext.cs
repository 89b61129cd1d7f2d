using System.Text.Json.Serialization;
using S3Fanout.Subscriber.Fleet;

namespace S3Fanout.Subscriber.Writing;

/// <summary>The <see cref="StateFile"/> records, generated at compile time (no reflection: Native AOT); names are their attributes'.</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(SinkCheckpoint))]
[JsonSerializable(typeof(MirrorRecord))]
internal sealed partial class StateFileJsonContext : JsonSerializerContext;
